import Synchronization

/// Byte-level BPE tokenizer (GPT-2 family: SmolLM2, Qwen2, DeepSeek-R1-Distill-Qwen).
///
/// Encoding: special tokens are matched as whole strings first (longest match), the
/// text between them is split by the pre-tokenizer, each chunk's UTF-8 bytes become
/// byte-level tokens, and merges run by rank inside the chunk. Safe to share between
/// threads; chunk results are cached behind a mutex.
public final class Tokenizer: Sendable {
    public let spec: TokenizerSpec
    /// SHA-256 (hex) of the vocabulary, merges, special ids and pre-tokenizer: two models
    /// with the same hash tokenize every text identically.
    public let contentSHA256: String

    private let idsByToken: [String: Int32]
    private let merges: BytePairMerges
    private let splitter: PreTokenizerSplitter
    private let specialMatcher: SpecialTokenMatcher
    private let specialIds: Set<Int32>
    /// The id of the one-byte token for each byte value, or `noToken`: some vocabularies
    /// lack a few (SmolLM2 has none for 0x04, 0x06, 0x13, 0x14, 0x16, 0x1D and bytes that
    /// never occur in UTF-8). Such bytes are dropped, as Hugging Face's BPE drops
    /// characters it has no token for when the model declares no unknown token.
    private let byteTokenIds: [Int32]
    private static let noToken: Int32 = -1
    /// The raw bytes each id decodes to (special tokens: their text's UTF-8).
    private let bytesById: [[UInt8]]
    private let chunkCache = Mutex<[[UInt8]: [Int32]]>([:])
    private static let chunkCacheLimit = 1 << 16

    public init(spec: TokenizerSpec) throws(TokenizerError) {
        self.spec = spec
        var idsByToken: [String: Int32] = [:]
        idsByToken.reserveCapacity(spec.tokens.count)
        for (id, token) in spec.tokens.enumerated() where idsByToken[token] == nil {
            idsByToken[token] = Int32(id)
        }
        self.idsByToken = idsByToken
        merges = try BytePairMerges(rules: spec.merges, idsByToken: idsByToken)
        splitter = PreTokenizerSplitter(kind: spec.preTokenizer)

        for id in spec.specialTokenIds where id < 0 || Int(id) >= spec.tokens.count {
            throw .specialTokenOutOfRange(id: id, vocabularySize: spec.tokens.count)
        }
        specialIds = Set(spec.specialTokenIds)
        specialMatcher = SpecialTokenMatcher(tokens: spec.specialTokenIds.map { (spec.tokens[Int($0)], $0) })

        byteTokenIds = (0..<256).map { byte in
            idsByToken[String(ByteLevelAlphabet.characterForByte[byte])] ?? Self.noToken
        }

        let specialIds = self.specialIds
        bytesById = spec.tokens.enumerated().map { id, token in
            if specialIds.contains(Int32(id)) { return Array(token.utf8) }
            return ByteLevelAlphabet.decode(token) ?? Array(token.utf8)
        }
        contentSHA256 = Self.contentHash(spec)
    }

    /// Number of ids in the vocabulary.
    public var tokenCount: Int { spec.tokens.count }

    /// The id of a token string as stored in the vocabulary (byte-level alphabet for
    /// ordinary tokens, raw text for special ones).
    public func id(of token: String) -> Int32? { idsByToken[token] }

    /// The vocabulary string of an id.
    public func token(of id: Int32) -> String? {
        guard id >= 0, Int(id) < spec.tokens.count else { return nil }
        return spec.tokens[Int(id)]
    }

    public func isSpecial(_ id: Int32) -> Bool { specialIds.contains(id) }

    /// Token ids of `text`; with `addBOS` the BOS id (when the spec has one) comes first.
    /// Whether the model expects that is `spec.addBOS`.
    public func encode(_ text: String, addBOS: Bool = false) -> [Int32] {
        var ids: [Int32] = []
        if addBOS, let bos = spec.bosTokenId { ids.append(bos) }
        let utf8 = Array(text.utf8)
        for piece in specialMatcher.pieces(of: utf8) {
            switch piece {
            case .special(let id):
                ids.append(id)
            case .text(let range):
                let segment = String(decoding: utf8[range], as: UTF8.self)
                for chunk in splitter.split(Substring(segment)) {
                    ids.append(contentsOf: encodeChunk(Array(chunk.utf8)))
                }
            }
        }
        return ids
    }

    private func encodeChunk(_ bytes: [UInt8]) -> [Int32] {
        if let cached = chunkCache.withLock({ $0[bytes] }) { return cached }
        var ids = bytes.compactMap { byte in
            let id = byteTokenIds[Int(byte)]
            return id == Self.noToken ? nil : id
        }
        merges.apply(to: &ids)
        chunkCache.withLock { cache in
            if cache.count >= Self.chunkCacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[bytes] = ids
        }
        return ids
    }

    /// The raw bytes of `ids` (for streaming: a token may end inside a UTF-8 sequence).
    /// Ids outside the vocabulary contribute nothing.
    public func decodeBytes(_ ids: [Int32], skipSpecial: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && Int(id) < bytesById.count {
            if skipSpecial, specialIds.contains(id) { continue }
            bytes.append(contentsOf: bytesById[Int(id)])
        }
        return bytes
    }

    /// The text of `ids`; invalid UTF-8 becomes U+FFFD, as Hugging Face decodes.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecial: skipSpecial), as: UTF8.self)
    }

    private static func contentHash(_ spec: TokenizerSpec) -> String {
        var bytes: [UInt8] = Array("realign-tokenizer-v1\0pre=\(spec.preTokenizer.rawValue)\0".utf8)
        func append(_ value: Int) {
            withUnsafeBytes(of: UInt64(value).littleEndian) { bytes.append(contentsOf: $0) }
        }
        func append(_ string: String) {
            let utf8 = Array(string.utf8)
            append(utf8.count)
            bytes.append(contentsOf: utf8)
        }
        append(spec.tokens.count)
        spec.tokens.forEach(append)
        append(spec.merges.count)
        spec.merges.forEach(append)
        let special = spec.specialTokenIds.sorted()
        append(special.count)
        special.forEach { append(Int($0)) }
        return SHA256.hex(bytes)
    }
}
