//! Builds the components no Rust toolchain emits, for the sandbox tests: a real built component
//! with extra core module instances appended, each defining a linear memory of its own. A
//! component is a sequence of sections, and a core module section followed by a core instance
//! section that instantiates it may come anywhere, so appending them keeps the component valid
//! and its exports intact; wasmtime creates every such memory when the component is instantiated.
//! Only byte arithmetic, so it builds wherever cargo does.

use anyhow::{Context, bail, ensure};

/// The component preamble: magic, version 0x0d, layer 1.
const COMPONENT_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];
/// The core module preamble: magic, version 1.
const MODULE_PREAMBLE: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
/// Component section ids.
const CORE_MODULE_SECTION: u8 = 1;
const CORE_INSTANCE_SECTION: u8 = 2;
/// Core module section id of memories.
const MEMORY_SECTION: u8 = 5;

fn leb(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn read_leb(bytes: &[u8], at: &mut usize) -> anyhow::Result<u32> {
    let mut value = 0u32;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at).context("truncated length")?;
        *at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    bail!("length too long")
}

fn section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
    out.push(id);
    leb(out, content.len() as u32);
    out.extend_from_slice(content);
}

/// How many core modules the component defines at its top level (their indices come first).
fn core_modules(component: &[u8]) -> anyhow::Result<u32> {
    ensure!(
        component.starts_with(&COMPONENT_PREAMBLE),
        "not a component"
    );
    let mut at = COMPONENT_PREAMBLE.len();
    let mut modules = 0;
    while at < component.len() {
        let id = component[at];
        at += 1;
        let size = read_leb(component, &mut at)? as usize;
        if id == CORE_MODULE_SECTION {
            modules += 1;
        }
        at = at.checked_add(size).context("section past the end")?;
    }
    ensure!(at == component.len(), "section past the end");
    Ok(modules)
}

/// `component` with `count` more core instances, each of a module that defines one memory of
/// `pages` 64 KiB pages (and nothing else).
///
/// # Errors
/// When `component` is not a well-formed component binary.
pub fn with_extra_memories(component: &[u8], count: u32, pages: u32) -> anyhow::Result<Vec<u8>> {
    let first = core_modules(component)?;
    let mut memory = vec![1, 0x00];
    leb(&mut memory, pages);
    let mut module = MODULE_PREAMBLE.to_vec();
    section(&mut module, MEMORY_SECTION, &memory);
    let mut out = component.to_vec();
    for index in first..first + count {
        section(&mut out, CORE_MODULE_SECTION, &module);
        // One instance: `instantiate` (0x00) the module just added, with no arguments.
        let mut instance = vec![1, 0x00];
        leb(&mut instance, index);
        instance.push(0);
        section(&mut out, CORE_INSTANCE_SECTION, &instance);
    }
    Ok(out)
}
