import Testing
@testable import Core

@Suite struct JSONParserTests {
    @Test func keepsNumberKindsOrderAndBooleans() throws {
        let value = try JSONParser.parse(#" {"b": 2, "a": 2.0, "c": true, "d": [1e2, -0, null], "e": "x\u00e9\ud83d\ude00\n"} "#)
        #expect(value.objectMembers?.map(\.key) == ["b", "a", "c", "d", "e"])
        #expect(value["b"] == .integer(2))
        #expect(value["a"] == .double(2.0))
        #expect(value["a"]?.integerValue == 2)
        #expect(value["c"] == .bool(true))
        #expect(value["c"]?.doubleValue == nil)
        #expect(value["d"] == .array([.double(100), .integer(0), .null]))
        #expect(value["e"] == .string("xé😀\n"))
    }

    @Test func lastDuplicateKeyWins() throws {
        #expect(try JSONParser.parse(#"{"a": 1, "a": 2}"#)["a"] == .integer(2))
    }

    @Test func rejectsInvalidText() {
        for text in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "\"\u{01}\"", "tru", "[1] 2", "\"\\ud800\"", "Nan", "-Inf"] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(String(repeating: "[", count: 300) + String(repeating: "]", count: 300)) }
    }

    @Test func readsPythonsNonFiniteNumbers() throws {
        let values = try JSONParser.parse("[NaN, Infinity, -Infinity, 1e999, -1e999]").arrayValue ?? []
        #expect(values.count == 5)
        #expect(values[0].doubleValue?.isNaN == true)
        #expect(values[1...].map { $0.doubleValue } == [.infinity, -.infinity, .infinity, -.infinity])
    }

    @Test func errorNamesTheOffset() {
        #expect(throws: JSONParseError(offset: 6, reason: "expected ',' or ']' in an array")) { try JSONParser.parse("[1, 2 3]") }
    }

    @Test func writesCompactJSONThatReadsBack() throws {
        let value = JSONValue.object([
            JSONMember("s", .string("q\"\\\n\t\u{01}é")), JSONMember("n", .array([.integer(-3), .double(2.0), .double(0.1), .double(1e-05)])),
            JSONMember("o", .object([])), JSONMember("z", .null), JSONMember("b", .bool(false)),
        ])
        #expect(value.jsonText == #"{"s":"q\"\\\n\t\u0001é","n":[-3,2.0,0.1,1e-05],"o":{},"z":null,"b":false}"#)
        #expect(try JSONParser.parse(value.jsonBytes) == value)
    }
}
