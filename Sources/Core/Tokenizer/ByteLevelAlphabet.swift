/// GPT-2's reversible byte-to-unicode mapping: every byte becomes one printable
/// character, so byte-level BPE tokens can be stored as strings (`Ġ` is byte 0x20).
enum ByteLevelAlphabet {
    /// The character for each byte value.
    static let characterForByte: [Character] = {
        var result = [Character](repeating: " ", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            let printable = (33...126).contains(byte) || (161...172).contains(byte) || (174...255).contains(byte)
            if printable {
                result[byte] = Character(Unicode.Scalar(UInt8(byte)))
            } else {
                result[byte] = Character(Unicode.Scalar(shifted)!)
                shifted += 1
            }
        }
        return result
    }()

    /// The byte for each character of the alphabet (scalar value to byte).
    static let byteForScalar: [UInt32: UInt8] = {
        var result: [UInt32: UInt8] = [:]
        for (byte, character) in characterForByte.enumerated() {
            result[character.unicodeScalars.first!.value] = UInt8(byte)
        }
        return result
    }()

    /// The alphabet string of raw bytes (what a byte-level token for them looks like).
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var result = ""
        for byte in bytes { result.append(characterForByte[Int(byte)]) }
        return result
    }

    /// The raw bytes a byte-level token string stands for, or nil when some character
    /// is outside the alphabet.
    static func decode(_ token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byteForScalar[scalar.value] else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
