import Foundation

/// Reads a calibration dataset: a JSON array of records, or JSONL (one record a line,
/// blank lines skipped), told apart by the first non-blank character (`[`). See
/// `DatasetRecord` for the record forms.
public enum DatasetReader {
    /// The sequences of the file's first `limit` records (all when nil), in file order.
    /// Ids must be unique across the file.
    public static func read(path: String, limit: Int? = nil) throws(DatasetError) -> [SequenceInput] {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let problem = !exists ? "no such file" : isDirectory.boolValue ? "is a directory, not a dataset file" : "cannot read the file (permissions?)"
            throw DatasetError(path: path, problem: problem)
        }
        return try sequences(from: [UInt8](data), path: path, limit: limit)
    }

    /// As `read`, from the file's bytes; `path` names it in errors.
    public static func sequences(from bytes: [UInt8], path: String, limit: Int? = nil) throws(DatasetError) -> [SequenceInput] {
        let maximum = limit ?? Int.max
        guard maximum >= 0 else { throw DatasetError(path: path, problem: "the limit \(maximum) is negative") }
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }

        var sequences: [SequenceInput] = []
        var firstRecordOfID: [String: Int] = [:]
        func append(_ record: JSONValue, index: Int, line: Int?) throws(DatasetError) {
            do {
                let sequence = try DatasetRecord.sequence(from: record, index: index)
                if let earlier = firstRecordOfID[sequence.id] {
                    throw DatasetError(path: path, record: index, line: line,
                                       problem: "id \"\(sequence.id)\" is already the id of record \(earlier)")
                }
                firstRecordOfID[sequence.id] = index
                sequences.append(sequence)
            } catch let error as SequenceProblem {
                throw DatasetError(path: path, record: index, line: line, problem: error.problem)
            } catch let error as DatasetError {
                throw error
            } catch {
                throw DatasetError(path: path, record: index, line: line, problem: "\(error)")
            }
        }

        if start < bytes.count, bytes[start] == UInt8(ascii: "[") {
            let root: JSONValue
            do {
                root = try JSONParser.parse(Array(bytes[start...]))
            } catch {
                throw DatasetError(path: path, problem: "not a JSON array: \(error.description) (from the array's start)")
            }
            guard let records = root.arrayValue else { throw DatasetError(path: path, problem: "not a JSON array") }
            for (index, record) in records.prefix(maximum).enumerated() {
                try append(record, index: index, line: nil)
            }
        } else {
            var lineStart = start, lineNumber = 1 + bytes[..<start].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            var index = 0
            while lineStart < bytes.count, index < maximum {
                let lineEnd = bytes[lineStart...].firstIndex(of: 0x0A) ?? bytes.count
                let line = bytes[lineStart..<lineEnd]
                if line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) {
                    let record: JSONValue
                    do {
                        record = try JSONParser.parse(Array(line))
                    } catch {
                        throw DatasetError(path: path, record: index, line: lineNumber, problem: error.description)
                    }
                    try append(record, index: index, line: lineNumber)
                    index += 1
                }
                lineStart = lineEnd + 1
                lineNumber += 1
            }
        }
        return sequences
    }
}
