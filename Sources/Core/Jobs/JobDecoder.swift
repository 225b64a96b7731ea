import Foundation

/// Reads jobs from their JSON bytes and checks everything that needs no model.
///
/// Conventions (part of the wire contract):
/// - Ids (the job's and each sequence's) are strings; an integer id is accepted and
///   read as its decimal text (`17` -> `"17"`); any other type is an error.
/// - Numbers: `2` and `2.0` are the same lambda; integer fields (`top_k`, `prompt_len`,
///   `input_ids`, `deadline_ms`, `schema`) accept integral numbers written either way
///   (`32.0`); booleans are never numbers.
/// - Unknown fields are ignored, so newer coordinators can add optional fields.
/// - Lambdas come from exactly one of `lambdas` (a list or one number), `lambda` or its
///   alias `control` (one number or a list). Negative zero reads as zero.
public enum JobDecoder {
    /// The id and reply topic of a job, whenever they can be read, even from a job that
    /// fails validation; `replyTo` only when it is a legal topic name.
    public static func peekEnvelope(_ bytes: [UInt8]) -> (id: String?, replyTo: String?) {
        guard let root = try? JSONParser.parse(bytes) else { return (nil, nil) }
        let id = root["id"].flatMap(idString)
        let replyTo = root["reply_to"]?.stringValue.flatMap { Topics.isLegalTopicName($0) ? $0 : nil }
        return (id, replyTo)
    }

    /// Reads and checks the shared fields: schema, id, kind, reply_to, deadline_ms, and
    /// whether the job has expired at `nowMs`.
    public static func decodeEnvelope(_ bytes: [UInt8], nowMs: Int64) throws(JobError) -> JobEnvelope {
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw JobError(.malformedJSON, error.description)
        }
        guard case .object = root else { throw JobError(.malformedJSON, "a job must be a JSON object, not \(root.typeName)") }
        let (peekedID, peekedReplyTo) = peekEnvelope(bytes)
        func fail(_ code: JobErrorCode, _ message: String) -> JobError {
            JobError(code, message, jobID: peekedID, replyTo: peekedReplyTo)
        }
        guard let schemaValue = root["schema"] else { throw fail(.unknownSchema, "'schema' is missing (this worker reads schema 1)") }
        guard schemaValue.integerValue == TeacherJob.schema else {
            throw fail(.unknownSchema, "'schema' is \(schemaValue.jsonText); this worker reads schema 1")
        }
        guard let idValue = root["id"] else { throw fail(.malformedJSON, "'id' is missing") }
        guard let id = idString(idValue), !id.isEmpty else {
            throw fail(.malformedJSON, "'id' must be a non-empty string or an integer, not \(idValue.jsonText)")
        }
        guard let kindValue = root["kind"] else { throw fail(.unknownKind, "'kind' is missing") }
        guard let kindName = kindValue.stringValue, let kind = JobKind(rawValue: kindName) else {
            let known = JobKind.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(.unknownKind, "'kind' \(kindValue.jsonText) is not one of \(known)")
        }
        guard let replyToValue = root["reply_to"] else { throw fail(.badReplyTo, "'reply_to' is missing") }
        guard let replyTo = replyToValue.stringValue, Topics.isLegalTopicName(replyTo) else {
            throw fail(.badReplyTo, "'reply_to' \(replyToValue.jsonText) is not a legal Kafka topic name (1 to 249 characters of [a-zA-Z0-9._-], not '.' or '..')")
        }
        var deadlineMs: Int64 = 0
        if let deadlineValue = root["deadline_ms"], deadlineValue != .null {
            guard let value = deadlineValue.integerValue, value >= 0 else {
                throw fail(.malformedJSON, "'deadline_ms' must be a non-negative integer, not \(deadlineValue.jsonText)")
            }
            deadlineMs = value
        }
        if deadlineMs > 0 && nowMs >= deadlineMs {
            throw fail(.expired, "the deadline \(deadlineMs) ms passed \(nowMs - deadlineMs) ms ago")
        }
        guard let body = root[kind.rawValue] else { throw fail(.malformedJSON, "a \(kind.rawValue) job needs a '\(kind.rawValue)' object") }
        guard case .object = body else { throw fail(.malformedJSON, "'\(kind.rawValue)' must be an object, not \(body.typeName)") }
        return JobEnvelope(id: id, kind: kind, replyTo: replyTo, deadlineMs: deadlineMs, body: body)
    }

    /// Reads a teacher job and runs every check that needs no model.
    public static func decode(_ bytes: [UInt8], nowMs: Int64 = Date().unixMilliseconds) throws(JobError) -> TeacherJob {
        let envelope = try decodeEnvelope(bytes, nowMs: nowMs)
        func fail(_ code: JobErrorCode, _ message: String) -> JobError {
            JobError(code, message, jobID: envelope.id, replyTo: envelope.replyTo)
        }
        guard envelope.kind == .teacher else {
            throw fail(.unknownKind, "a '\(envelope.kind.rawValue)' job is not a teacher job")
        }
        let body = envelope.body
        func modelName(_ key: String) throws(JobError) -> String {
            guard let value = body[key] else { throw fail(.malformedJSON, "'teacher.\(key)' is missing") }
            guard let name = value.stringValue else { throw fail(.malformedJSON, "'teacher.\(key)' must be a model name, not \(value.typeName)") }
            return name
        }
        let ref = try modelName("ref")
        let aligned = try modelName("aligned")
        var alignedSystem: String?
        if let value = body["aligned_system"], value != .null {
            guard let text = value.stringValue else { throw fail(.malformedJSON, "'teacher.aligned_system' must be a string, not \(value.typeName)") }
            alignedSystem = text
        }
        let lambdas = try readLambdas(body, fail: fail)
        guard let topKValue = body["top_k"] else { throw fail(.badTopK, "'teacher.top_k' is missing") }
        guard let topK = topKValue.integerValue, TeacherJob.topKRange.contains(Int(clamping: topK)) else {
            throw fail(.badTopK, "'teacher.top_k' \(topKValue.jsonText) is not an integer in [1, 1024]")
        }
        guard let sequencesValue = body["sequences"] else { throw fail(.badSequence, "'teacher.sequences' is missing") }
        guard let sequenceValues = sequencesValue.arrayValue else {
            throw fail(.badSequence, "'teacher.sequences' must be an array, not \(sequencesValue.typeName)")
        }
        var cutoffLen: Int?
        if let value = body["cutoff_len"], value != .null {
            guard let length = value.integerValue else {
                throw fail(.malformedJSON, "'teacher.cutoff_len' must be an integer, not \(value.jsonText)")
            }
            cutoffLen = Int(clamping: length)
        }
        var sequences: [SequenceInput] = []
        sequences.reserveCapacity(sequenceValues.count)
        for (index, value) in sequenceValues.enumerated() {
            do {
                sequences.append(try readSequence(value))
            } catch {
                throw fail(error.code, "sequence \(index): \(error.problem)")
            }
        }
        let job = TeacherJob(id: envelope.id, replyTo: envelope.replyTo, deadlineMs: envelope.deadlineMs, ref: ref,
                             aligned: aligned, alignedSystem: alignedSystem, lambdas: lambdas, topK: Int(topK),
                             sequences: sequences, cutoffLen: cutoffLen)
        try job.validate()
        return job
    }

    /// An id as the contract reads it: a string, or an integer as its decimal text.
    static func idString(_ value: JSONValue) -> String? {
        switch value {
        case .string(let text): return text
        case .integer(let number): return String(number)
        default: return nil
        }
    }

    private static func readLambdas(_ body: JSONValue, fail: (JobErrorCode, String) -> JobError) throws(JobError) -> [Double] {
        let given = ["lambdas", "lambda", "control"].compactMap { key in body[key].map { (key, $0) } }
        guard let (key, value) = given.first else { throw fail(.badLambda, "the job gives no 'lambdas' (or 'lambda', 'control')") }
        guard given.count == 1 else {
            throw fail(.badLambda, "give the lambdas once, not as both '\(given[0].0)' and '\(given[1].0)'")
        }
        let values = value.arrayValue ?? [value]
        var lambdas: [Double] = []
        for element in values {
            guard let lambda = element.doubleValue else { throw fail(.badLambda, "'teacher.\(key)' holds \(element.jsonText), not a number") }
            lambdas.append(lambda == 0 ? 0 : lambda)
        }
        return lambdas
    }

    /// One sequence in any of the three forms (shared with the dataset readers' `messages`
    /// handling through `readMessages`).
    static func readSequence(_ value: JSONValue) throws(SequenceProblem) -> SequenceInput {
        guard case .object = value else { throw SequenceProblem(code: .badSequence, problem: "must be an object, not \(value.typeName)") }
        guard let idValue = value["id"] else { throw SequenceProblem(code: .badSequence, problem: "'id' is missing") }
        guard let id = idString(idValue) else {
            throw SequenceProblem(code: .badSequence, problem: "'id' must be a string or an integer, not \(idValue.jsonText)")
        }
        let hasMessages = value["messages"] != nil
        let hasText = value["prompt"] != nil || value["response"] != nil
        let hasTokens = value["input_ids"] != nil || value["prompt_len"] != nil
        switch (hasMessages, hasText, hasTokens) {
        case (true, false, false):
            return .messages(id: id, try readMessages(value["messages"]!))
        case (false, true, false):
            guard let prompt = value["prompt"]?.stringValue, let response = value["response"]?.stringValue else {
                throw SequenceProblem(code: .badSequence, problem: "'prompt' and 'response' must both be strings")
            }
            return .promptResponse(id: id, prompt: prompt, response: response)
        case (false, false, true):
            guard let idsValue = value["input_ids"]?.arrayValue else {
                throw SequenceProblem(code: .badSequence, problem: "'input_ids' must be an array of token ids")
            }
            let inputIDs = try tokenIDs(idsValue)
            guard let promptLenValue = value["prompt_len"] else {
                throw SequenceProblem(code: .badPromptLen, problem: "'prompt_len' is missing")
            }
            guard let promptLen = promptLenValue.integerValue else {
                throw SequenceProblem(code: .badPromptLen, problem: "'prompt_len' \(promptLenValue.jsonText) is not an integer")
            }
            return .tokens(id: id, inputIDs: inputIDs, promptLen: Int(clamping: promptLen))
        case (false, false, false):
            throw SequenceProblem(code: .badSequence, problem: "gives none of 'messages', 'prompt'/'response', 'input_ids'/'prompt_len'")
        default:
            throw SequenceProblem(code: .badSequence, problem: "mixes the 'messages', 'prompt'/'response' and 'input_ids' forms")
        }
    }

    static func readMessages(_ value: JSONValue) throws(SequenceProblem) -> [ChatMessage] {
        guard let elements = value.arrayValue else {
            throw SequenceProblem(code: .badSequence, problem: "'messages' must be an array, not \(value.typeName)")
        }
        var messages: [ChatMessage] = []
        for (index, element) in elements.enumerated() {
            guard let role = element["role"]?.stringValue, let content = element["content"]?.stringValue else {
                throw SequenceProblem(code: .badSequence, problem: "message \(index) needs string 'role' and 'content'")
            }
            messages.append(ChatMessage(role: role, content: content))
        }
        return messages
    }
}

extension JobDecoder {
    /// The elements of an `input_ids` list as token ids: integers in Int32's
    /// non-negative range (the vocabulary bound needs the model).
    static func tokenIDs(_ elements: [JSONValue]) throws(SequenceProblem) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(elements.count)
        for element in elements {
            guard let token = element.integerValue else {
                throw SequenceProblem(code: .badSequence, problem: "'input_ids' holds \(element.jsonText), not an integer")
            }
            guard let narrow = Int32(exactly: token), narrow >= 0 else {
                throw SequenceProblem(code: .tokenOutOfRange, problem: "token id \(token) is out of range")
            }
            ids.append(narrow)
        }
        return ids
    }
}
