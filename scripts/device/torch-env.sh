# Sourced on a lent NVIDIA machine: the binary from torch-build.sh links PyTorch's libraries
# (Burn's LibTorch backend, libtorch_cuda included); take them from the machine's own PyTorch.
TORCH_LIB="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="$TORCH_LIB:${LD_LIBRARY_PATH:-}"
python3 -c 'import torch; print("machine torch", torch.__version__, "cuda", torch.cuda.is_available())'
