import Testing
@testable import Core

/// The hand-written splitters against the regexes themselves: expected chunks come from
/// Python's `regex` module running each pattern (SmolLM: `\\p{N}` split first).
@Suite struct PreTokenizerSplitterTests {
    static let texts: [String] = [
        "I'm HERE'S you'LL 'twas ''s",
        "  leading\ttabs\t\tand\u{A0}nbsp  \n\n  x",
        "line1\r\nline2 \n \n end  ",
        "a+b=12345 -x --y ...\n\n",
        "\u{65E5}\u{672C}\u{8A9E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}, \u{663}\u{664} caf\u{E9}\u{3000}\u{5168}\u{89D2}",
        "$foo(bar) {'k': 1}\n\tindent",
        " ",
        "x   ",
    ]

    static let gpt2Chunks: [[String]] = [
        ["I", "'m", " HERE", "'", "S", " you", "'", "LL", " '", "twas", " ''", "s"],
        [" ", " leading", "\t", "tabs", "\t", "\t", "and", "\u{A0}", "nbsp", "  \n\n ", " x"],
        ["line", "1", "\r", "\n", "line", "2", " \n \n", " end", "  "],
        ["a", "+", "b", "=", "12345", " -", "x", " --", "y", " ...", "\n\n"],
        ["\u{65E5}\u{672C}\u{8A9E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}", ",", " \u{663}\u{664}", " caf\u{E9}", "\u{3000}", "\u{5168}\u{89D2}"],
        ["$", "foo", "(", "bar", ")", " {'", "k", "':", " 1", "}", "\n", "\t", "indent"],
        [" "],
        ["x", "   "],
    ]

    static let smollmChunks: [[String]] = [
        ["I", "'m", " HERE", "'", "S", " you", "'", "LL", " '", "twas", " ''", "s"],
        [" ", " leading", "\t", "tabs", "\t", "\t", "and", "\u{A0}", "nbsp", "  \n\n ", " x"],
        ["line", "1", "\r", "\n", "line", "2", " \n \n", " end", "  "],
        ["a", "+", "b", "=", "1", "2", "3", "4", "5", " -", "x", " --", "y", " ...", "\n\n"],
        ["\u{65E5}\u{672C}\u{8A9E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}", ",", " ", "\u{663}", "\u{664}", " caf\u{E9}", "\u{3000}", "\u{5168}\u{89D2}"],
        ["$", "foo", "(", "bar", ")", " {'", "k", "':", " ", "1", "}", "\n", "\t", "indent"],
        [" "],
        ["x", "   "],
    ]

    static let qwen2Chunks: [[String]] = [
        ["I", "'m", " HERE", "'S", " you", "'LL", " '", "twas", " ''", "s"],
        [" ", " leading", "\ttabs", "\t", "\tand", "\u{A0}nbsp", "  \n\n", " ", " x"],
        ["line", "1", "\r\n", "line", "2", " \n \n", " end", "  "],
        ["a", "+b", "=", "1", "2", "3", "4", "5", " -", "x", " --", "y", " ...\n\n"],
        ["\u{65E5}\u{672C}\u{8A9E}\u{30C6}\u{30AD}\u{30B9}\u{30C8}", ",", " ", "\u{663}", "\u{664}", " caf\u{E9}", "\u{3000}\u{5168}\u{89D2}"],
        ["$foo", "(bar", ")", " {'", "k", "':", " ", "1", "}\n", "\tindent"],
        [" "],
        ["x", "   "],
    ]

    func split(_ text: String, _ kind: TokenizerSpec.PreTokenizer) -> [String] {
        PreTokenizerSplitter(kind: kind).split(Substring(text)).map(String.init)
    }

    @Test(arguments: 0..<texts.count)
    func gpt2MatchesTheRegex(index: Int) {
        #expect(split(Self.texts[index], .gpt2) == Self.gpt2Chunks[index])
    }

    @Test(arguments: 0..<texts.count)
    func smolLMMatchesDigitsThenTheRegex(index: Int) {
        #expect(split(Self.texts[index], .smollm) == Self.smollmChunks[index])
    }

    @Test(arguments: 0..<texts.count)
    func qwen2MatchesTheRegex(index: Int) {
        #expect(split(Self.texts[index], .qwen2) == Self.qwen2Chunks[index])
    }

    @Test func emptyTextHasNoChunks() {
        #expect(split("", .gpt2).isEmpty)
        #expect(split("", .qwen2).isEmpty)
        #expect(split("", .smollm).isEmpty)
    }
}
