/// Finds stop strings in streamed text. Text that could be the start of a stop string
/// is held back until the next text shows it is not, so no part of a stop string is
/// ever released. Works on UTF-8 of whole characters: a valid needle in valid text can
/// only match at character boundaries, and a held suffix starts at one too.
struct StopStringMatcher {
    private let stops: [[UInt8]]
    private var held: [UInt8] = []

    init(stopStrings: [String]) {
        stops = stopStrings.map { Array($0.utf8) }.filter { !$0.isEmpty }
    }

    /// The text that can be released now and whether a stop string was found (text
    /// from the stop string on is dropped).
    mutating func append(_ text: [UInt8]) -> (released: [UInt8], stopped: Bool) {
        let buffer = held + text
        if let start = earliestMatch(in: buffer) {
            held = []
            return (Array(buffer[..<start]), true)
        }
        let keep = longestSuffixStartingAStop(buffer)
        held = Array(buffer[(buffer.count - keep)...])
        return (Array(buffer[..<(buffer.count - keep)]), false)
    }

    /// The held text, released because no more text will come.
    mutating func finish() -> [UInt8] {
        defer { held = [] }
        return held
    }

    private func earliestMatch(in buffer: [UInt8]) -> Int? {
        var earliest: Int?
        for stop in stops where stop.count <= buffer.count {
            var start = 0
            while start + stop.count <= buffer.count, start < (earliest ?? Int.max) {
                if buffer[start..<(start + stop.count)].elementsEqual(stop) {
                    earliest = start
                    break
                }
                start += 1
            }
        }
        return earliest
    }

    private func longestSuffixStartingAStop(_ buffer: [UInt8]) -> Int {
        var longest = 0
        for stop in stops {
            var length = min(stop.count - 1, buffer.count)
            while length > longest {
                if buffer[(buffer.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }
}
