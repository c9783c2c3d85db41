# Sourced on a lent NVIDIA machine: the binary from torch-build.sh links PyTorch's libraries
# (Burn's LibTorch backend, libtorch_cuda included); take them from the machine's own PyTorch.
TORCH_LIB="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="$TORCH_LIB:${LD_LIBRARY_PATH:-}"
python3 -c 'import torch; print("machine torch", torch.__version__, "cuda", torch.cuda.is_available())'

# What a call carries inside the repo is gone by the next call of the same lease (seen in GPU run 3):
# keep_carried copies it to $KEEP, outside the repo, where later calls find it.
KEEP=/root/keep
keep_carried() {
  mkdir -p "$KEEP"
  [ -f .devrun/diffuse-torch ] && cp .devrun/diffuse-torch "$KEEP"/
  [ -d .devrun/data ] && cp -r .devrun/data "$KEEP"/
  [ -d .devrun/fid-pkg ] && cp -r .devrun/fid-pkg "$KEEP"/
  for part in .devrun/fid-*/part-*; do [ -f "$part" ] && cp "$part" "$KEEP"/; done
  return 0
}
keep_carried
