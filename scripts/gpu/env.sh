# Sourced on a lent NVIDIA machine (issue 5): the binary from build.sh links PyTorch's libraries
# (Burn's LibTorch backend); take them from the machine's own PyTorch, and preload libtorch_cuda
# so that CUDA is registered even though the binary calls none of its symbols directly.
TORCH_LIB="$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')"
export LD_LIBRARY_PATH="$TORCH_LIB:${LD_LIBRARY_PATH:-}"
export LD_PRELOAD="$TORCH_LIB/libtorch_cuda.so"
python3 -c 'import torch; print("machine torch", torch.__version__, "cuda", torch.cuda.is_available())'
