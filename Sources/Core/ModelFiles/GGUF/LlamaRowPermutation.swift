/// llama.cpp's converter reorders the rows of `attn_q` and `attn_k` of `llama` models
/// so that its adjacent-pair RoPE rotates the pairs Hugging Face's half-split RoPE
/// rotates. Within each head of `headDim` rows, Hugging Face row `j * headDim/2 + i` is
/// GGUF row `2i + j` (i < headDim/2, j < 2). `qwen2` files are not reordered.
enum LlamaRowPermutation {
    static func huggingFaceRow(ofGGUFRow row: Int, headDim: Int) -> Int {
        let head = row / headDim
        let within = row % headDim
        return head * headDim + (within % 2) * (headDim / 2) + within / 2
    }
}
