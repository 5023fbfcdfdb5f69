//! The shipped binary must run on rescue media with no matching libc: it is
//! linked statically (`.cargo/config.toml`: explicit target + crt-static).
//! A dynamically linked ELF has a PT_INTERP program header naming its
//! loader; a static (or static-pie) one has none.

const PT_INTERP: u32 = 3;

fn has_interp(elf: &[u8]) -> bool {
    assert_eq!(&elf[..4], b"\x7fELF", "not an ELF file");
    assert_eq!(elf[4], 2, "expected a 64-bit ELF");
    assert_eq!(elf[5], 1, "expected little-endian");
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().unwrap());
    let u16_at = |o: usize| u16::from_le_bytes(elf[o..o + 2].try_into().unwrap());
    let phoff = u64_at(0x20) as usize;
    let phentsize = u16_at(0x36) as usize;
    let phnum = u16_at(0x38) as usize;
    (0..phnum).any(|i| {
        let o = phoff + i * phentsize;
        u32::from_le_bytes(elf[o..o + 4].try_into().unwrap()) == PT_INTERP
    })
}

#[test]
fn binary_is_statically_linked() {
    let elf = std::fs::read(env!("CARGO_BIN_EXE_rootaudit")).unwrap();
    assert!(
        !has_interp(&elf),
        "rootaudit has a dynamic loader (PT_INTERP): not statically linked"
    );
    // And the check itself can tell the difference: /bin/sh is dynamic.
    if let Ok(sh) = std::fs::read("/bin/sh") {
        assert!(has_interp(&sh), "/bin/sh should be dynamically linked");
    }
}
