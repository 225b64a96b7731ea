/// Turns bytes that arrive a token at a time into text that never splits a UTF-8
/// character: a trailing sequence that is still incomplete is held until the bytes
/// that complete it (or show it invalid) arrive. Invalid bytes become U+FFFD, as
/// `String(decoding:as:)` and Hugging Face's decode render them.
struct UTF8StreamDecoder {
    private var pending: [UInt8] = []

    /// The UTF-8 of the complete characters now available.
    mutating func append(_ bytes: [UInt8]) -> [UInt8] {
        pending += bytes
        let cut = Self.incompleteTailStart(pending)
        let ready = Array(pending[..<cut])
        pending.removeSubrange(..<cut)
        return Self.valid(ready)
    }

    /// Everything still held, as text (an unfinished character becomes U+FFFD).
    mutating func finish() -> [UInt8] {
        defer { pending = [] }
        return Self.valid(pending)
    }

    private static func valid(_ bytes: [UInt8]) -> [UInt8] {
        Array(String(decoding: bytes, as: UTF8.self).utf8)
    }

    /// Where a final multi-byte sequence that may still be completed begins, or
    /// `bytes.count` when the bytes end on a character boundary.
    private static func incompleteTailStart(_ bytes: [UInt8]) -> Int {
        var index = bytes.count - 1
        while index >= 0, index >= bytes.count - 4 {
            let byte = bytes[index]
            if byte & 0xC0 != 0x80 {
                let length: Int
                switch byte {
                case 0xC2...0xDF: length = 2
                case 0xE0...0xEF: length = 3
                case 0xF0...0xF4: length = 4
                default: length = 1
                }
                return bytes.count - index < length ? index : bytes.count
            }
            index -= 1
        }
        return bytes.count
    }
}
