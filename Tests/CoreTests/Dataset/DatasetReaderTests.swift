import Foundation
import Testing
@testable import Core

@Suite struct DatasetReaderTests {
    static func read(_ text: String, limit: Int? = nil) throws(DatasetError) -> [SequenceInput] {
        try DatasetReader.sequences(from: Array(text.utf8), path: "mem.json", limit: limit)
    }

    static func user(_ text: String) -> ChatMessage { ChatMessage(role: "user", content: text) }
    static func assistant(_ text: String) -> ChatMessage { ChatMessage(role: "assistant", content: text) }
    static func system(_ text: String) -> ChatMessage { ChatMessage(role: "system", content: text) }

    @Test func alpacaRecords() throws {
        let text = #"""
        [{"instruction": "Add", "input": "2+2", "output": "4"},
         {"instruction": "Greet", "input": "", "output": "Hi", "system": "Be kind."},
         {"instruction": "Name", "output": "Bob", "id": 99}]
        """#
        #expect(try Self.read(text) == [
            .messages(id: "0", [Self.user("Add\n2+2"), Self.assistant("4")]),
            .messages(id: "1", [Self.system("Be kind."), Self.user("Greet"), Self.assistant("Hi")]),
            .messages(id: "99", [Self.user("Name"), Self.assistant("Bob")]),
        ])
    }

    @Test func shareGPTMessagesPlainAndTokenizedAsJSONL() throws {
        let text = """
        {"conversations": [{"from": "human", "value": "Q1"}, {"from": "gpt", "value": "A1"}, {"from": "user", "value": "Q2"}, {"from": "assistant", "value": "A2"}], "system": "S"}

        {"conversations": [{"from": "system", "value": "S2"}, {"from": "human", "value": "Q"}, {"from": "gpt", "value": "A"}]}
        {"messages": [{"role": "user", "content": "U"}, {"role": "assistant", "content": "V"}], "system": "T", "id": "m"}
        {"prompt": "2+2?", "response": "4."}\r
        {"input_ids": [5, 6, 7, 8], "prompt_len": 3}
        """
        #expect(try Self.read(text) == [
            .messages(id: "0", [Self.system("S"), Self.user("Q1"), Self.assistant("A1"), Self.user("Q2"), Self.assistant("A2")]),
            .messages(id: "1", [Self.system("S2"), Self.user("Q"), Self.assistant("A")]),
            .messages(id: "m", [Self.system("T"), Self.user("U"), Self.assistant("V")]),
            .promptResponse(id: "3", prompt: "2+2?", response: "4."),
            .tokens(id: "4", inputIDs: [5, 6, 7, 8], promptLen: 3),
        ])
        #expect(try Self.read(text, limit: 2).map(\.id) == ["0", "1"])
        #expect(try Self.read(text, limit: 0).isEmpty)
    }

    @Test func badRecordsNameFileRecordAndProblem() {
        let cases: [(String, DatasetError)] = [
            ("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": 1, \"response\": \"r\"}",
             DatasetError(path: "mem.json", record: 1, line: 2, problem: "'prompt' must be a string, not a number")),
            ("{\"prompt\": \"p\", \"response\": \"r\"}\n\n{broken",
             DatasetError(path: "mem.json", record: 1, line: 3, problem: "invalid JSON at byte 1: expected a string key")),
            (#"[{"instruction": "x"}]"#, DatasetError(path: "mem.json", record: 0, problem: "'output' is missing")),
            (#"[{"text": "x"}]"#, DatasetError(path: "mem.json", record: 0, problem: "not a known record form (keys: text); expected alpaca instruction/input/output, sharegpt conversations or messages, prompt/response, or input_ids/prompt_len")),
            (#"[{"conversations": [{"from": "bot", "value": "Q"}]}]"#,
             DatasetError(path: "mem.json", record: 0, problem: "conversation turn 0: 'from' \"bot\" is not human, user, gpt, assistant or system")),
            (#"[{"prompt": "p", "response": "r", "id": "a"}, {"prompt": "p", "response": "r", "id": "a"}]"#,
             DatasetError(path: "mem.json", record: 1, problem: "id \"a\" is already the id of record 0")),
            (#"[1]"#, DatasetError(path: "mem.json", record: 0, problem: "a record must be a JSON object, not a number")),
            (#"[{"prompt": "p"}"#, DatasetError(path: "mem.json", problem: "not a JSON array: invalid JSON at byte 16: expected ',' or ']' in an array (from the array's start)")),
        ]
        for (text, expected) in cases {
            #expect(throws: expected) { try Self.read(text) }
        }
        #expect(DatasetError(path: "d.jsonl", record: 3, line: 5, problem: "x").description == "d.jsonl: record 3 (line 5): x")
        #expect(throws: DatasetError(path: "/nonexistent/file.json", problem: "no such file")) {
            try DatasetReader.read(path: "/nonexistent/file.json")
        }
        #expect(throws: DatasetError(path: "/tmp", problem: "is a directory, not a dataset file")) {
            try DatasetReader.read(path: "/tmp")
        }
    }

    /// Records of a known form with bad content are read as they are: their jobs fail
    /// them alone, so one bad record does not stop a run.
    @Test func recordsWithBadContentAreLeftToTheirJobs() throws {
        let text = #"[{"conversations": [{"from": "human", "value": "Q"}]}, {"input_ids": [1, 2], "prompt_len": 2}]"#
        let sequences = try Self.read(text)
        #expect(sequences == [.messages(id: "0", [Self.user("Q")]), .tokens(id: "1", inputIDs: [1, 2], promptLen: 2)])
        #expect(throws: SequenceProblem(code: .badSequence, problem: "the last message is the user's, not the assistant's")) {
            try sequences[0].check()
        }
        #expect(throws: SequenceProblem(code: .badPromptLen, problem: "'prompt_len' 2 is not in [1, 1] for 2 tokens")) {
            try sequences[1].check()
        }
    }

    @Test func readsTheAlpacaDemoFromDisk() throws {
        let path = "/work/shared/data/alpaca_en_demo.json"
        let all = try DatasetReader.read(path: path)
        #expect(all.count == 1000)
        #expect(all.map(\.id) == (0..<1000).map(String.init))
        guard case .messages(_, let first) = all[0], case .messages(_, let withInput) = all[5],
              case .messages(_, let last) = all[999] else {
            Issue.record("alpaca records should be chat messages")
            return
        }
        #expect(first.map(\.role) == ["user", "assistant"])
        #expect(first[0].content == "Describe a process of making crepes.")
        #expect(first[1].content.utf16.count == 1584)
        #expect(withInput[0].content == "Given the parameters of a triangle, find out its perimeter.\nSide 1 = 4\nSide 2 = 6\nSide 3 = 8")
        #expect(last[0].content == "Paraphrase the sentence to remove the cliche.\nTime waits for no one.")
        #expect(try DatasetReader.read(path: path, limit: 10) == Array(all.prefix(10)))
    }

    @Test func readsTemporaryFilesOfEachShape() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dataset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let array = directory.appendingPathComponent("a.json")
        let lines = directory.appendingPathComponent("b.jsonl")
        try Data("\u{FEFF}\n  [{\"prompt\": \"p\", \"response\": \"r\"}]".utf8).write(to: array)
        try Data("{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"q\", \"response\": \"s\"}\n".utf8).write(to: lines)
        #expect(try DatasetReader.read(path: array.path) == [.promptResponse(id: "0", prompt: "p", response: "r")])
        #expect(try DatasetReader.read(path: lines.path) == [.promptResponse(id: "0", prompt: "p", response: "r"),
                                                              .promptResponse(id: "1", prompt: "q", response: "s")])
    }
}
