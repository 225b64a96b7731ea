/// Finds special tokens as whole strings inside text, longest match first, so that
/// `<|im_start|>` in a prompt becomes one id instead of being split by BPE.
struct SpecialTokenMatcher: Sendable {
    private struct Candidate: Sendable {
        let bytes: [UInt8]
        let id: Int32
    }

    /// Candidates by first byte, longest first.
    private let candidatesByFirstByte: [UInt8: [Candidate]]

    init(tokens: [(text: String, id: Int32)]) {
        var table: [UInt8: [Candidate]] = [:]
        for token in tokens {
            let bytes = Array(token.text.utf8)
            guard let first = bytes.first else { continue }
            table[first, default: []].append(Candidate(bytes: bytes, id: token.id))
        }
        candidatesByFirstByte = table.mapValues { $0.sorted { $0.bytes.count > $1.bytes.count } }
    }

    enum Piece: Equatable {
        case text(Range<Int>)
        case special(Int32)
    }

    /// `utf8` cut into plain-text byte ranges and special token ids, in order.
    func pieces(of utf8: [UInt8]) -> [Piece] {
        guard !candidatesByFirstByte.isEmpty else {
            return utf8.isEmpty ? [] : [.text(0..<utf8.count)]
        }
        var pieces: [Piece] = []
        var textStart = 0
        var position = 0
        while position < utf8.count {
            if let candidates = candidatesByFirstByte[utf8[position]],
               let match = candidates.first(where: { matches($0.bytes, in: utf8, at: position) }) {
                if textStart < position { pieces.append(.text(textStart..<position)) }
                pieces.append(.special(match.id))
                position += match.bytes.count
                textStart = position
            } else {
                position += 1
            }
        }
        if textStart < utf8.count { pieces.append(.text(textStart..<utf8.count)) }
        return pieces
    }

    private func matches(_ needle: [UInt8], in haystack: [UInt8], at position: Int) -> Bool {
        guard position + needle.count <= haystack.count else { return false }
        for offset in 0..<needle.count where haystack[position + offset] != needle[offset] {
            return false
        }
        return true
    }
}
