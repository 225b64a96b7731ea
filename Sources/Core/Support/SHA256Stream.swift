import CCrypto

extension SHA256 {
    /// SHA-256 of the concatenation of `parts` (e.g. the shards of a model, in order),
    /// without copying them together. Uses libcrypto's EVP digest interface.
    public static func hex(concatenationOf parts: [UnsafeRawBufferPointer]) -> String {
        let context = EVP_MD_CTX_new()
        defer { EVP_MD_CTX_free(context) }
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
        for part in parts where part.count > 0 {
            EVP_DigestUpdate(context, part.baseAddress, part.count)
        }
        var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
