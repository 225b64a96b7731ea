import Foundation

/// The token ids the benchmarks run on: real text (a dataset's alpaca records,
/// instruction, input and output one after another) so that both sides of a comparison
/// read the same ordinary sequence, repeated from the start when it is too short.
public enum BenchmarkText {
    public static func tokens(dataPath: String, tokenizer: Tokenizer, count: Int) throws(BenchmarkError) -> [Int32] {
        guard let bytes = FileManager.default.contents(atPath: dataPath) else {
            throw BenchmarkError("cannot read \(dataPath)")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(bytes))
        } catch {
            throw BenchmarkError("\(dataPath): \(error)")
        }
        guard let records = document.arrayValue else {
            throw BenchmarkError("\(dataPath) is not a JSON array of alpaca records")
        }
        var ids: [Int32] = []
        for record in records {
            let text = ["instruction", "input", "output"].compactMap { record[$0]?.stringValue }
                .filter { !$0.isEmpty }.joined(separator: "\n\n")
            ids += tokenizer.encode(text + "\n\n")
            if ids.count >= count { return Array(ids.prefix(count)) }
        }
        guard !ids.isEmpty else { throw BenchmarkError("\(dataPath) has no alpaca text (instruction, input, output)") }
        while ids.count < count { ids += ids }
        return Array(ids.prefix(count))
    }
}
