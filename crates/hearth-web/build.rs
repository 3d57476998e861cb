//! Builds the web UI in `web/` (npm and Vite) into `OUT_DIR/dist` and writes `OUT_DIR/assets.rs`,
//! the table of files the crate embeds, each text file with a gzip copy made here so serving costs
//! nothing. `HEARTH_WEB_DIST` names an already built directory instead (a container's Node stage).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::GzEncoder;

/// What `web/` contains that changes the build (never `node_modules` or `dist`).
const INPUTS: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
    "tsconfig.app.json",
    "tsconfig.node.json",
];

// A build script reads what cargo sets in its environment; it is not a Hearth setting.
#[allow(clippy::disallowed_methods)]
fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let web = manifest.join("../../web");
    println!("cargo:rerun-if-env-changed=HEARTH_WEB_DIST");
    let dist = match std::env::var_os("HEARTH_WEB_DIST") {
        Some(dir) => PathBuf::from(dir),
        None => {
            for input in INPUTS {
                let path = web.join(input);
                // A missing path would make cargo re-run this script on every build.
                if path.exists() {
                    println!("cargo:rerun-if-changed={}", path.display());
                }
            }
            let dist = out.join("dist");
            build(&web, &dist);
            dist
        }
    };
    if !dist.join("index.html").is_file() {
        fail(&format!("{} has no index.html", dist.display()));
    }
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    write_table(&dist, &out, &files);
}

fn fail(message: &str) -> ! {
    panic!("building the web UI: {message}");
}

/// `npm ci` when the installed packages are missing or older than the lock file, then the build.
fn build(web: &Path, dist: &Path) {
    let lock = web.join("package-lock.json");
    let installed = web.join("node_modules/.package-lock.json");
    let stale = match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) => lock > installed,
        _ => true,
    };
    if stale {
        run(web, &["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    let out_dir = dist
        .to_str()
        .unwrap_or_else(|| fail("OUT_DIR is not UTF-8"));
    run(
        web,
        &["run", "build", "--", "--outDir", out_dir, "--emptyOutDir"],
    );
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    std::fs::metadata(path).ok()?.modified().ok()
}

fn run(web: &Path, args: &[&str]) {
    let status = Command::new("npm")
        .args(args)
        .current_dir(web)
        .status()
        .unwrap_or_else(|e| {
            fail(&format!(
                "cannot run npm ({e}); install Node.js 20 or later, or set HEARTH_WEB_DIST to a built web/dist"
            ))
        });
    if !status.success() {
        fail(&format!("`npm {}` failed with {status}", args.join(" ")));
    }
}

fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| fail(&format!("{}: {e}", dir.display())));
    for entry in entries {
        let path = entry.unwrap_or_else(|e| fail(&e.to_string())).path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let relative = relative
                .to_str()
                .unwrap_or_else(|| fail("a non-UTF-8 file name"));
            files.push(relative.replace('\\', "/"));
        }
    }
}

/// Whether a file is text worth compressing (images and fonts are compressed already).
fn compressible(name: &str) -> bool {
    [
        ".js",
        ".mjs",
        ".css",
        ".html",
        ".svg",
        ".json",
        ".txt",
        ".webmanifest",
        ".map",
    ]
    .iter()
    .any(|ext| name.ends_with(ext))
}

fn write_table(dist: &Path, out: &Path, files: &[String]) {
    let gz_dir = out.join("gz");
    let mut table = String::from(
        "/// Every file of the built UI, by path.\npub(crate) static FILES: &[Asset] = &[\n",
    );
    for name in files {
        let source = dist.join(name);
        let bytes = std::fs::read(&source).unwrap_or_else(|e| fail(&format!("{name}: {e}")));
        let gzip = if compressible(name) && bytes.len() >= 256 {
            let target = gz_dir.join(format!("{name}.gz"));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).unwrap_or_else(|e| fail(&e.to_string()));
            }
            let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
            encoder
                .write_all(&bytes)
                .unwrap_or_else(|e| fail(&e.to_string()));
            let compressed = encoder.finish().unwrap_or_else(|e| fail(&e.to_string()));
            std::fs::write(&target, compressed).unwrap_or_else(|e| fail(&e.to_string()));
            format!("Some(include_bytes!({:?}))", target.display().to_string())
        } else {
            "None".to_owned()
        };
        let _ = writeln!(
            table,
            "    Asset {{ path: {:?}, body: include_bytes!({:?}), gzip: {gzip} }},",
            format!("/{name}"),
            source.display().to_string(),
        );
    }
    table.push_str("];\n");
    std::fs::write(out.join("assets.rs"), table).unwrap_or_else(|e| fail(&e.to_string()));
}
