/// Splits text into the chunks BPE runs inside, reproducing the pre-tokenizer regexes
/// by hand on Unicode scalars (no regex engine: NSRegularExpression on Linux is slow and
/// its `\p{..}` support is partial). Classes follow the regexes: `\p{L}` and `\p{N}` are
/// the letter and number general categories, `\s` is the Unicode White_Space property.
struct PreTokenizerSplitter: Sendable {
    let kind: TokenizerSpec.PreTokenizer

    /// The chunks of `text`, in order; concatenated they give `text` back.
    func split(_ text: Substring) -> [Substring] {
        let scalars = Array(text.unicodeScalars)
        let classes = scalars.map(ScalarClass.init)
        var ranges: [Range<Int>] = []
        switch kind {
        case .gpt2:
            appendGPT2Chunks(scalars, classes, 0..<scalars.count, into: &ranges)
        case .smollm:
            // Digits(individual_digits): every \p{N} is its own piece, then GPT-2 inside each.
            var pieceStart = 0
            for index in scalars.indices where classes[index] == .number {
                appendGPT2Chunks(scalars, classes, pieceStart..<index, into: &ranges)
                ranges.append(index..<(index + 1))
                pieceStart = index + 1
            }
            appendGPT2Chunks(scalars, classes, pieceStart..<scalars.count, into: &ranges)
        case .qwen2:
            var position = 0
            while position < scalars.count {
                let end = qwen2MatchEnd(scalars, classes, at: position)
                ranges.append(position..<end)
                position = end
            }
        }
        var chunks: [Substring] = []
        chunks.reserveCapacity(ranges.count)
        var index = text.unicodeScalars.startIndex
        var scalarPosition = 0
        for range in ranges {
            let start = text.unicodeScalars.index(index, offsetBy: range.lowerBound - scalarPosition)
            let end = text.unicodeScalars.index(start, offsetBy: range.count)
            chunks.append(Substring(text.unicodeScalars[start..<end]))
            index = end
            scalarPosition = range.upperBound
        }
        return chunks
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// over `bounds` (a piece: lookahead stops at its end).
    private func appendGPT2Chunks(
        _ scalars: [Unicode.Scalar], _ classes: [ScalarClass], _ bounds: Range<Int>,
        into ranges: inout [Range<Int>]
    ) {
        var position = bounds.lowerBound
        let end = bounds.upperBound
        while position < end {
            let matchEnd = gpt2MatchEnd(scalars, classes, at: position, end: end)
            ranges.append(position..<matchEnd)
            position = matchEnd
        }
    }

    private func gpt2MatchEnd(_ s: [Unicode.Scalar], _ c: [ScalarClass], at i: Int, end n: Int) -> Int {
        if let contractionEnd = contractionEnd(s, at: i, end: n, caseInsensitive: false) {
            return contractionEnd
        }
        // ` ?X+` for X in letters, numbers, other: an optional space joins the run after it.
        var runStart = i
        if s[i] == " ", i + 1 < n, c[i + 1] != .whitespace { runStart = i + 1 }
        let runClass = c[runStart]
        if runClass != .whitespace {
            var e = runStart + 1
            while e < n, c[e] == runClass { e += 1 }
            return e
        }
        return whitespaceRunEnd(c, at: i, end: n)
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar: the run, less its last scalar when a
    /// non-space follows and the run is longer than one.
    private func whitespaceRunEnd(_ c: [ScalarClass], at i: Int, end n: Int) -> Int {
        var e = i + 1
        while e < n, c[e] == .whitespace { e += 1 }
        if e == n || e - i == 1 { return e }
        return e - 1
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    private func qwen2MatchEnd(_ s: [Unicode.Scalar], _ c: [ScalarClass], at i: Int) -> Int {
        let n = s.count
        if let contractionEnd = contractionEnd(s, at: i, end: n, caseInsensitive: true) {
            return contractionEnd
        }
        let isLineBreak = s[i] == "\r" || s[i] == "\n"
        if c[i] == .letter || (!isLineBreak && c[i] != .number && i + 1 < n && c[i + 1] == .letter) {
            var e = c[i] == .letter ? i + 1 : i + 2
            while e < n, c[e] == .letter { e += 1 }
            return e
        }
        if c[i] == .number { return i + 1 }
        let otherStart = (s[i] == " " && i + 1 < n && c[i + 1] == .other) ? i + 1 : i
        if c[otherStart] == .other {
            var e = otherStart + 1
            while e < n, c[e] == .other { e += 1 }
            while e < n, s[e] == "\r" || s[e] == "\n" { e += 1 }
            return e
        }
        // Whitespace: `\s*[\r\n]+` ends just after the run's last line break.
        var e = i
        var lastLineBreak = -1
        while e < n, c[e] == .whitespace {
            if s[e] == "\r" || s[e] == "\n" { lastLineBreak = e }
            e += 1
        }
        if lastLineBreak >= 0 { return lastLineBreak + 1 }
        return whitespaceRunEnd(c, at: i, end: n)
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i`, optionally ASCII case-insensitive.
    private func contractionEnd(_ s: [Unicode.Scalar], at i: Int, end n: Int, caseInsensitive: Bool) -> Int? {
        guard s[i] == "'", i + 1 < n else { return nil }
        func letter(_ k: Int) -> Unicode.Scalar? {
            guard k < n else { return nil }
            let scalar = s[k]
            if caseInsensitive, ("A"..."Z").contains(scalar) {
                return Unicode.Scalar(scalar.value + 32)
            }
            return scalar
        }
        switch letter(i + 1) {
        case "s", "t", "m", "d": return i + 2
        case "r", "v": return letter(i + 2) == "e" ? i + 3 : nil
        case "l": return letter(i + 2) == "l" ? i + 3 : nil
        default: return nil
        }
    }
}

/// The character classes the pre-tokenizer regexes distinguish.
enum ScalarClass: UInt8, Sendable {
    case letter, number, whitespace, other

    init(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        if value < 0x80 {
            switch UInt8(value) {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): self = .letter
            case UInt8(ascii: "0")...UInt8(ascii: "9"): self = .number
            case 0x09...0x0D, 0x20: self = .whitespace
            default: self = .other
            }
            return
        }
        let properties = scalar.properties
        if properties.isWhitespace { self = .whitespace; return }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            self = .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            self = .number
        default:
            self = .other
        }
    }
}
