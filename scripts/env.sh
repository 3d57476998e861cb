# Sourced by the project's scripts: one target directory outside the clone (so CI reuses builds)
# and the mold linker when it is installed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hearth/target}"
if command -v mold >/dev/null 2>&1; then
  case " ${RUSTFLAGS:-} " in
    *fuse-ld=mold*) ;;
    *) export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-fuse-ld=mold" ;;
  esac
fi
