//! Password protection of secret keys as minisign does it: libsodium's
//! `crypto_pwhash_scryptsalsa208sha256`, which is scrypt with N, r and p
//! picked from an operations limit and a memory limit (libsodium's
//! `pickparams`). A key file stores the two limits, not N, r, p, so the
//! mapping below must be libsodium's exactly, or a key made by stock
//! `minisign -G` would not decrypt.

use super::SignError;

/// The limits of a key's scrypt derivation, as stored in the key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Limits {
    /// libsodium's `opslimit`.
    pub opslimit: u64,
    /// libsodium's `memlimit`, in bytes.
    pub memlimit: u64,
}

impl Limits {
    /// What minisign uses for a new key: libsodium's
    /// `crypto_pwhash_scryptsalsa208sha256_{OPS,MEM}LIMIT_SENSITIVE`
    /// (N = 2^20, r = 8, p = 1: 1 GiB).
    pub const SENSITIVE: Limits = Limits {
        opslimit: 33_554_432,
        memlimit: 1_073_741_824,
    };

    /// libsodium's smallest limits (N = 2^10: fast, for tests).
    #[cfg(test)]
    pub const MIN: Limits = Limits {
        opslimit: 32_768,
        memlimit: 16_777_216,
    };

    /// The little-endian limits from a key file.
    pub fn from_le(opslimit: [u8; 8], memlimit: [u8; 8]) -> Limits {
        Limits {
            opslimit: u64::from_le_bytes(opslimit),
            memlimit: u64::from_le_bytes(memlimit),
        }
    }
}

/// scrypt's cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ScryptParams {
    /// log2 of N.
    pub log_n: u32,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

/// The largest scrypt working memory (128 · r · N bytes) a key may ask
/// for: four times minisign's default.
const MAX_MEMORY: u64 = 4 << 30;
/// The largest total work (128 · r · N · p) a key may ask for: sixteen
/// times minisign's default.
const MAX_WORK: u64 = 16 << 30;

/// libsodium's mapping from limits to N, r, p. When the operations limit
/// is the smaller budget, memory follows it (p = 1, N from opslimit);
/// otherwise N fills the memory limit and the remaining operations go to p.
pub(super) fn pick_params(limits: Limits) -> ScryptParams {
    const R: u64 = 8;
    let opslimit = limits.opslimit.max(32_768);
    // The smallest log2(N) whose N exceeds half of `max_n` (63 at most).
    let log_n_below = |max_n: u64| (1..63).find(|&l| (1u64 << l) > max_n / 2).unwrap_or(63);
    if opslimit < limits.memlimit / 32 {
        ScryptParams {
            log_n: log_n_below(opslimit / (R * 4)),
            r: R as u32,
            p: 1,
        }
    } else {
        let log_n = log_n_below(limits.memlimit / (R * 128));
        let max_rp = ((opslimit / 4) / (1u64 << log_n)).min(0x3fff_ffff);
        ScryptParams {
            log_n,
            r: R as u32,
            p: (max_rp / R) as u32,
        }
    }
}

/// Fill `out` with the scrypt stream for `password` and `salt` under
/// `limits`, refusing limits beyond [`MAX_MEMORY`] and [`MAX_WORK`].
pub(super) fn derive(
    password: &[u8],
    salt: &[u8],
    limits: Limits,
    out: &mut [u8],
) -> Result<(), SignError> {
    let refuse = || SignError::KdfLimits {
        opslimit: limits.opslimit,
        memlimit: limits.memlimit,
    };
    let ScryptParams { log_n, r, p } = pick_params(limits);
    let memory = 1u128 << log_n.min(100);
    let memory = memory * 128 * u128::from(r);
    if p == 0 || memory > u128::from(MAX_MEMORY) || memory * u128::from(p) > u128::from(MAX_WORK) {
        return Err(refuse());
    }
    let log_n = u8::try_from(log_n).map_err(|_| refuse())?;
    let params = scrypt::Params::new(log_n, r, p).map_err(|_| refuse())?;
    scrypt::scrypt(password, salt, &params, out).map_err(|_| refuse())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_map_to_libsodium_params() {
        // minisign's default, libsodium's "sensitive".
        assert_eq!(
            pick_params(Limits::SENSITIVE),
            ScryptParams {
                log_n: 20,
                r: 8,
                p: 1
            }
        );
        // libsodium's "interactive".
        let interactive = Limits {
            opslimit: 524_288,
            memlimit: 16_777_216,
        };
        assert_eq!(
            pick_params(interactive),
            ScryptParams {
                log_n: 14,
                r: 8,
                p: 1
            }
        );
        assert_eq!(
            pick_params(Limits::MIN),
            ScryptParams {
                log_n: 10,
                r: 8,
                p: 1
            }
        );
        // What minisign writes after halving on a small machine.
        let halved = Limits {
            opslimit: Limits::SENSITIVE.opslimit / 2,
            memlimit: Limits::SENSITIVE.memlimit / 2,
        };
        assert_eq!(
            pick_params(halved),
            ScryptParams {
                log_n: 19,
                r: 8,
                p: 1
            }
        );
        // Operations beyond what the memory holds go to p.
        let ops_heavy = Limits {
            opslimit: 1 << 30,
            memlimit: 16_777_216,
        };
        assert_eq!(
            pick_params(ops_heavy),
            ScryptParams {
                log_n: 14,
                r: 8,
                p: 2048
            }
        );
        // A tiny opslimit is raised to libsodium's floor.
        assert_eq!(
            pick_params(Limits {
                opslimit: 0,
                memlimit: u64::MAX
            }),
            pick_params(Limits {
                opslimit: 32_768,
                memlimit: u64::MAX
            })
        );
    }

    #[test]
    fn absurd_limits_are_refused_not_run() {
        let mut out = [0u8; 104];
        for limits in [
            Limits {
                opslimit: u64::MAX,
                memlimit: u64::MAX,
            },
            Limits {
                opslimit: 1 << 40,
                memlimit: 16_777_216,
            },
            // 64 GiB of memory.
            Limits {
                opslimit: 1 << 36,
                memlimit: 1 << 36,
            },
        ] {
            assert!(
                matches!(
                    derive(b"pw", &[0; 32], limits, &mut out),
                    Err(SignError::KdfLimits { .. })
                ),
                "{limits:?}"
            );
        }
    }
}
