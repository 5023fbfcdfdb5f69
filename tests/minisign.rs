//! minisign interoperability: signatures and keys made by rootaudit (the
//! library's `sign` module and `rootaudit keygen`) against stock
//! `minisign` (the oracle), both ways: what one signs the other verifies,
//! keys made by one sign for the other, and one changed byte fails both.
//!
//! Stock minisign reads passwords from standard input when it is not a
//! terminal, a line each (`-G` asks twice). Encrypted keys use minisign's
//! default scrypt limits (1 GiB), so those tests take seconds each; they
//! run one at a time to bound memory.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use rootaudit::sign::{PublicKey, SecretKey, SignError, verify};
use tempfile::TempDir;

use crate::util::{COMMAND_TIMEOUT, ROOTAUDIT, Run, missing_tools, run_with_input};

/// Held by the tests that derive a 1 GiB scrypt key, so that at most one
/// runs at a time.
static HEAVY: Mutex<()> = Mutex::new(());

const DATA: &[u8] = b"rootaudit waiver file\n{\"waivers\": []}\n";

/// True when `minisign` is installed. Without it a developer run skips
/// with a note; a CI run (`CI` set) fails, as the oracle tests do.
fn minisign_available() -> bool {
    if missing_tools(&["minisign"]).is_empty() {
        return true;
    }
    if std::env::var_os("CI").is_some() {
        panic!("minisign missing in CI: run scripts/test-deps first");
    }
    eprintln!("SKIPPING minisign test: minisign is not installed (scripts/test-deps)");
    false
}

macro_rules! require_minisign {
    () => {
        if !minisign_available() {
            return;
        }
    };
}

/// Run `cmd` in `dir` with `stdin` as its standard input.
fn run_in(dir: &Path, cmd: &mut Command, stdin: &[u8]) -> Run {
    run_with_input(
        cmd.current_dir(dir).env("HOME", dir),
        Some(stdin),
        COMMAND_TIMEOUT,
    )
}

fn minisign(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    run_in(dir, Command::new("minisign").args(args), stdin)
}

fn ok(r: Run, what: &str) -> Run {
    assert_eq!(
        r.status,
        Some(0),
        "{what} failed\nstdout:\n{}\nstderr:\n{}",
        r.stdout_str(),
        r.stderr
    );
    r
}

/// The trusted comment stock minisign prints after verifying.
fn minisign_trusted_comment(r: &Run) -> String {
    r.stdout_str()
        .lines()
        .find_map(|l| l.strip_prefix("Trusted comment: "))
        .unwrap_or_else(|| panic!("no trusted comment in {:?}", r.stdout_str()))
        .to_string()
}

/// A scratch directory holding `file` with [`DATA`].
fn scratch() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("waivers.json");
    std::fs::write(&file, DATA).unwrap();
    (dir, file)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn flip_one_byte(file: &Path) {
    let mut data = std::fs::read(file).unwrap();
    let i = data.len() / 2;
    data[i] ^= 0x20;
    std::fs::write(file, data).unwrap();
}

#[test]
fn library_signature_verifies_with_minisign() {
    require_minisign!();
    let (dir, file) = scratch();
    let sk = SecretKey::generate().unwrap();
    let pk = sk.public_key();
    let pubfile = dir.path().join("key.pub");
    std::fs::write(&pubfile, pk.to_file_text("rootaudit public key")).unwrap();
    let comment = "rootaudit-waivers host=web1 root=/ \ttimestamp:1700000000 żółw";
    let sig = sk
        .sign(DATA, "signature from rootaudit secret key", comment)
        .unwrap();
    std::fs::write(dir.path().join("waivers.json.minisig"), &sig).unwrap();

    // -H: only a prehashed (ED) signature will do.
    let by_string = ok(
        minisign(
            dir.path(),
            &["-V", "-H", "-m", s(&file), "-P", &pk.to_base64()],
            b"",
        ),
        "minisign -V -P",
    );
    assert_eq!(minisign_trusted_comment(&by_string), comment);
    let by_file = ok(
        minisign(dir.path(), &["-V", "-m", s(&file), "-p", s(&pubfile)], b""),
        "minisign -V -p",
    );
    assert_eq!(minisign_trusted_comment(&by_file), comment);
    let quiet = ok(
        minisign(dir.path(), &["-VQ", "-m", s(&file), "-p", s(&pubfile)], b""),
        "minisign -VQ",
    );
    assert_eq!(quiet.stdout_str(), format!("{comment}\n"));
    // And rootaudit reads back what it wrote.
    assert_eq!(verify(&pk, DATA, &sig).unwrap().trusted_comment, comment);
}

#[test]
fn minisign_unencrypted_key_signs_for_rootaudit() {
    require_minisign!();
    let (dir, file) = scratch();
    let (pubfile, secfile) = (dir.path().join("m.pub"), dir.path().join("m.key"));
    ok(
        minisign(
            dir.path(),
            &["-G", "-W", "-p", s(&pubfile), "-s", s(&secfile)],
            b"",
        ),
        "minisign -G -W",
    );
    let sec_text = std::fs::read_to_string(&secfile).unwrap();
    assert!(!SecretKey::is_encrypted_text(&sec_text).unwrap());
    let pk = PublicKey::load(&pubfile).unwrap();
    let sk = SecretKey::load(&secfile, None).unwrap();
    assert_eq!(sk.public_key(), pk);
    // The key id is the one minisign wrote in its public key comment.
    let pub_text = std::fs::read_to_string(&pubfile).unwrap();
    assert!(
        pub_text.starts_with(&format!(
            "untrusted comment: minisign public key {}\n",
            pk.key_id()
        )),
        "{pub_text}"
    );
    // The bare base64 line (minisign -P form) is the same key.
    assert_eq!(
        PublicKey::parse(pub_text.lines().nth(1).unwrap()).unwrap(),
        pk
    );

    for (legacy, comment) in [(false, "made by stock minisign"), (true, "legacy Ed")] {
        let mut args = vec!["-S", "-m", s(&file), "-s", s(&secfile), "-t", comment];
        if legacy {
            args.push("-l");
        }
        ok(minisign(dir.path(), &args, b""), "minisign -S");
        let sig = std::fs::read_to_string(dir.path().join("waivers.json.minisig")).unwrap();
        let v = verify(&pk, DATA, &sig).unwrap();
        assert_eq!(v.trusted_comment, comment);
        assert_eq!(v.key_id, pk.key_id());
    }
    // rootaudit signs with minisign's key; minisign verifies.
    let sig = sk
        .sign(DATA, "from rootaudit", "signed by rootaudit")
        .unwrap();
    std::fs::write(dir.path().join("waivers.json.minisig"), sig).unwrap();
    let r = ok(
        minisign(dir.path(), &["-V", "-m", s(&file), "-p", s(&pubfile)], b""),
        "minisign -V",
    );
    assert_eq!(minisign_trusted_comment(&r), "signed by rootaudit");
}

#[test]
fn minisign_encrypted_key_loads_with_its_password() {
    require_minisign!();
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, file) = scratch();
    let (pubfile, secfile) = (dir.path().join("m.pub"), dir.path().join("m.key"));
    ok(
        minisign(
            dir.path(),
            &["-G", "-p", s(&pubfile), "-s", s(&secfile)],
            b"tr0ub4dor &3\ntr0ub4dor &3\n",
        ),
        "minisign -G (password on stdin)",
    );
    let sec_text = std::fs::read_to_string(&secfile).unwrap();
    assert!(SecretKey::is_encrypted_text(&sec_text).unwrap());
    assert!(matches!(
        SecretKey::parse(&sec_text, None),
        Err(SignError::PasswordNeeded)
    ));
    assert!(matches!(
        SecretKey::parse(&sec_text, Some(b"tr0ub4dor &4")),
        Err(SignError::WrongPassword)
    ));
    let sk = SecretKey::load(&secfile, Some(b"tr0ub4dor &3")).unwrap();
    let pk = PublicKey::load(&pubfile).unwrap();
    assert_eq!(sk.public_key(), pk);

    let sig = sk
        .sign(DATA, "from rootaudit", "encrypted key, decrypted here")
        .unwrap();
    std::fs::write(dir.path().join("waivers.json.minisig"), sig).unwrap();
    let r = ok(
        minisign(dir.path(), &["-V", "-m", s(&file), "-p", s(&pubfile)], b""),
        "minisign -V",
    );
    assert_eq!(
        minisign_trusted_comment(&r),
        "encrypted key, decrypted here"
    );
}

#[test]
fn one_changed_byte_fails_both() {
    require_minisign!();
    let (dir, file) = scratch();
    let sk = SecretKey::generate().unwrap();
    let pk = sk.public_key();
    let sig = sk.sign(DATA, "u", "t").unwrap();
    let sigfile = dir.path().join("waivers.json.minisig");
    std::fs::write(&sigfile, &sig).unwrap();
    ok(
        minisign(
            dir.path(),
            &["-V", "-m", s(&file), "-P", &pk.to_base64()],
            b"",
        ),
        "minisign -V before the change",
    );

    flip_one_byte(&file);
    let changed = std::fs::read(&file).unwrap();
    let r = minisign(
        dir.path(),
        &["-V", "-m", s(&file), "-P", &pk.to_base64()],
        b"",
    );
    assert_eq!(r.status, Some(1), "minisign accepted a changed file: {r:?}");
    assert!(matches!(
        verify(&pk, &changed, &sig),
        Err(SignError::BadSignature)
    ));

    // A changed trusted comment: both refuse it too.
    std::fs::write(&file, DATA).unwrap();
    let forged = sig.replace("trusted comment: t", "trusted comment: T");
    std::fs::write(&sigfile, &forged).unwrap();
    let r = minisign(
        dir.path(),
        &["-V", "-m", s(&file), "-P", &pk.to_base64()],
        b"",
    );
    assert_eq!(
        r.status,
        Some(1),
        "minisign accepted a changed comment: {r:?}"
    );
    assert!(matches!(
        verify(&pk, DATA, &forged),
        Err(SignError::BadGlobalSignature)
    ));

    // And a minisign signature over a file changed afterwards.
    let secfile = dir.path().join("m.key");
    std::fs::write(&secfile, sk.to_file_text(None, "unencrypted").unwrap()).unwrap();
    ok(
        minisign(dir.path(), &["-S", "-m", s(&file), "-s", s(&secfile)], b""),
        "minisign -S",
    );
    let sig = std::fs::read_to_string(&sigfile).unwrap();
    assert!(verify(&pk, DATA, &sig).is_ok());
    flip_one_byte(&file);
    let changed = std::fs::read(&file).unwrap();
    assert!(matches!(
        verify(&pk, &changed, &sig),
        Err(SignError::BadSignature)
    ));
    let r = minisign(
        dir.path(),
        &["-V", "-m", s(&file), "-P", &pk.to_base64()],
        b"",
    );
    assert_eq!(r.status, Some(1));
}

/// `rootaudit keygen ARGS` in `dir`.
fn keygen(dir: &Path, args: &[&str]) -> Run {
    run_in(dir, Command::new(ROOTAUDIT).arg("keygen").args(args), b"")
}

#[test]
fn keygen_keys_interoperate_with_minisign() {
    require_minisign!();
    let (dir, file) = scratch();
    let r = ok(
        keygen(dir.path(), &["--no-password", "-p", "k.pub", "-s", "k.key"]),
        "rootaudit keygen --no-password",
    );
    let secfile = dir.path().join("k.key");
    let pubfile = dir.path().join("k.pub");
    let mode = std::fs::metadata(&secfile).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "secret key mode {mode:o}");
    let pk = PublicKey::load(&pubfile).unwrap();
    let out = r.stdout_str();
    assert!(out.contains(&pk.key_id()), "{out}");
    assert!(
        out.contains(&format!("minisign -Vm <file> -P {}", pk.to_base64())),
        "{out}"
    );

    // Stock minisign signs with the unencrypted key; both verify.
    ok(
        minisign(
            dir.path(),
            &[
                "-S",
                "-m",
                s(&file),
                "-s",
                s(&secfile),
                "-p",
                s(&pubfile),
                "-t",
                "via keygen",
            ],
            b"",
        ),
        "minisign -S with rootaudit's key",
    );
    let sig = std::fs::read_to_string(dir.path().join("waivers.json.minisig")).unwrap();
    assert_eq!(
        verify(&pk, DATA, &sig).unwrap().trusted_comment,
        "via keygen"
    );
    let r = ok(
        minisign(dir.path(), &["-V", "-m", s(&file), "-p", s(&pubfile)], b""),
        "minisign -V with rootaudit's public key",
    );
    assert_eq!(minisign_trusted_comment(&r), "via keygen");

    // Existing keys are kept unless --force.
    let before = std::fs::read(&secfile).unwrap();
    let r = keygen(dir.path(), &["--no-password", "-p", "k.pub", "-s", "k.key"]);
    assert_eq!(r.status, Some(2), "{r:?}");
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read(&secfile).unwrap(), before);
    std::fs::set_permissions(&secfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    ok(
        keygen(
            dir.path(),
            &["--no-password", "-f", "-p", "k.pub", "-s", "k.key"],
        ),
        "rootaudit keygen --force",
    );
    assert_ne!(std::fs::read(&secfile).unwrap(), before);
    let mode = std::fs::metadata(&secfile).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "secret key mode after --force {mode:o}"
    );
}

#[test]
fn keygen_encrypted_key_signs_with_stock_minisign() {
    require_minisign!();
    let _heavy = HEAVY.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, file) = scratch();
    std::fs::write(dir.path().join("pw"), "open sesame\n").unwrap();
    ok(
        keygen(dir.path(), &["--password-file", "pw"]),
        "rootaudit keygen --password-file",
    );
    // The default file names.
    let (pubfile, secfile) = (
        dir.path().join("rootaudit.pub"),
        dir.path().join("rootaudit.key"),
    );
    let sec_text = std::fs::read_to_string(&secfile).unwrap();
    assert!(SecretKey::is_encrypted_text(&sec_text).unwrap());
    // Stock minisign decrypts it with the password (read from stdin).
    ok(
        minisign(
            dir.path(),
            &[
                "-S",
                "-m",
                s(&file),
                "-s",
                s(&secfile),
                "-t",
                "encrypted by keygen",
            ],
            b"open sesame\n",
        ),
        "minisign -S with rootaudit's encrypted key",
    );
    let r = ok(
        minisign(dir.path(), &["-V", "-m", s(&file), "-p", s(&pubfile)], b""),
        "minisign -V",
    );
    assert_eq!(minisign_trusted_comment(&r), "encrypted by keygen");
    let sig = std::fs::read_to_string(dir.path().join("waivers.json.minisig")).unwrap();
    let pk = PublicKey::load(&pubfile).unwrap();
    assert_eq!(
        verify(&pk, DATA, &sig).unwrap().trusted_comment,
        "encrypted by keygen"
    );
    // A wrong password: stock minisign refuses it too.
    let r = minisign(
        dir.path(),
        &["-S", "-m", s(&file), "-s", s(&secfile)],
        b"open sesame!\n",
    );
    assert_ne!(r.status, Some(0), "minisign took a wrong password: {r:?}");
}

#[test]
fn keygen_without_a_terminal_names_the_alternatives() {
    let dir = tempfile::tempdir().unwrap();
    // setsid: no controlling terminal, so /dev/tty cannot be opened.
    if missing_tools(&["setsid"]).is_empty() {
        let r = run_in(
            dir.path(),
            Command::new("setsid").args(["-w", ROOTAUDIT, "keygen"]),
            b"",
        );
        assert_eq!(r.status, Some(2), "{r:?}");
        assert!(r.stderr.contains("--password-file"), "{}", r.stderr);
        assert!(r.stderr.contains("--no-password"), "{}", r.stderr);
    }
    assert!(!dir.path().join("rootaudit.key").exists());
}
