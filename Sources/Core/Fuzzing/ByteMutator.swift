/// Seeded mutations of byte strings for fuzzing the readers of untrusted input: the same
/// seed gives the same mutants on every machine, so a failing input found in `make test`
/// is reproduced by its seed and iteration alone.
///
/// Each mutant applies one to four of: a bit flip, a byte inserted or deleted, a run of
/// bytes deleted or duplicated, an "interesting" little-endian integer (0, 1, -1, the
/// signed and unsigned extremes of each width, the input's own length and neighbours)
/// written over 1, 2, 4 or 8 bytes - where readers keep their size fields - a
/// truncation, a splice with another input, and a token of the target's dictionary
/// (JSON syntax, huge numbers, ...) inserted or written over a run of digits.
public struct ByteMutator: Sendable {
    public enum Mutation: CaseIterable, Sendable {
        case flipBit, insertByte, deleteByte, deleteRun, duplicateRun, interestingInteger, truncate, splice, dictionaryToken
    }

    /// Inputs are kept below this size so that a run of insertions cannot grow them without end.
    public static let maximumLength = 1 << 20

    private var random: SamplingRandomGenerator
    private let dictionary: [[UInt8]]

    public init(seed: UInt64, dictionary: [String] = []) {
        random = SamplingRandomGenerator(seed: seed)
        self.dictionary = dictionary.map { Array($0.utf8) }
    }

    /// A mutant of `input`; `other` is the partner of a splice (another corpus entry).
    public mutating func mutate(_ input: [UInt8], splicingWith other: [UInt8]) -> [UInt8] {
        var bytes = input
        let count = 1 + Int(random.next() % 4)
        for _ in 0..<count {
            let mutation = Mutation.allCases[Int(random.next() % UInt64(Mutation.allCases.count))]
            apply(mutation, to: &bytes, other: other)
        }
        if bytes.count > Self.maximumLength { bytes.removeLast(bytes.count - Self.maximumLength) }
        return bytes
    }

    mutating func apply(_ mutation: Mutation, to bytes: inout [UInt8], other: [UInt8]) {
        switch mutation {
        case .flipBit:
            guard !bytes.isEmpty else { return }
            let position = index(below: bytes.count)
            bytes[position] ^= 1 << UInt8(random.next() % 8)
        case .insertByte:
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: index(below: bytes.count + 1))
        case .deleteByte:
            guard !bytes.isEmpty else { return }
            bytes.remove(at: index(below: bytes.count))
        case .deleteRun:
            guard !bytes.isEmpty else { return }
            let start = index(below: bytes.count)
            let length = 1 + index(below: min(64, bytes.count - start))
            bytes.removeSubrange(start..<(start + length))
        case .duplicateRun:
            guard !bytes.isEmpty else { return }
            let start = index(below: bytes.count)
            let length = 1 + index(below: min(64, bytes.count - start))
            bytes.insert(contentsOf: bytes[start..<(start + length)], at: index(below: bytes.count + 1))
        case .interestingInteger:
            let width = [1, 2, 4, 8][index(below: 4)]
            guard bytes.count >= width else { return }
            let position = index(below: bytes.count - width + 1)
            let value = interestingValue(length: bytes.count)
            for byte in 0..<width {
                bytes[position + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte)))
            }
        case .truncate:
            guard !bytes.isEmpty else { return }
            bytes.removeLast(bytes.count - index(below: bytes.count))
        case .splice:
            guard !other.isEmpty else { return }
            let cut = index(below: bytes.count + 1)
            let otherCut = index(below: other.count)
            bytes = Array(bytes[..<cut]) + other[otherCut...]
        case .dictionaryToken:
            guard !dictionary.isEmpty else { return }
            let token = dictionary[index(below: dictionary.count)]
            if let digits = digitRun(in: bytes), random.next() % 2 == 0 {
                bytes.replaceSubrange(digits, with: token)
            } else {
                bytes.insert(contentsOf: token, at: index(below: bytes.count + 1))
            }
        }
    }

    /// 0, 1, all ones, the extremes of each signed width, powers of two, and sizes near
    /// the input's own length (a length field that points just past the end).
    private mutating func interestingValue(length: Int) -> UInt64 {
        let values: [UInt64] = [
            0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000,
            0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000,
            0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, UInt64.max, UInt64.max - 1,
            UInt64(length), UInt64(length + 1), UInt64(length) * 2, UInt64(max(length - 1, 0)),
        ]
        return values[index(below: values.count)]
    }

    /// A random run of ASCII digits in `bytes`, when it has one.
    private mutating func digitRun(in bytes: [UInt8]) -> Range<Int>? {
        guard !bytes.isEmpty else { return nil }
        let start = index(below: bytes.count)
        guard let first = bytes[start...].firstIndex(where: Self.isDigit) else { return nil }
        let end = bytes[first...].firstIndex(where: { !Self.isDigit($0) }) ?? bytes.count
        return first..<end
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private mutating func index(below bound: Int) -> Int {
        Int(random.next() % UInt64(bound))
    }
}
