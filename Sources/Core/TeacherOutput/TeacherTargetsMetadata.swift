/// What a teacher reply or shard says about its targets, stored in the safetensors
/// `__metadata__` (string values; lists JSON-encoded):
///
/// | key | value |
/// | --- | --- |
/// | `job_id` | the job's id (replies only; shards span jobs and omit it) |
/// | `sequence_ids` | JSON list of the sequence ids, in order |
/// | `lambda_tags` | JSON list of the lambda tags, in job order |
/// | `top_k` | decimal integer |
/// | `ref_model`, `ref_model_hash` | the reference model's name and content hash |
/// | `aligned_model`, `aligned_model_hash` | the aligned model's name and content hash |
/// | `tokenizer_hash` | the shared tokenizer's hash |
public struct TeacherTargetsMetadata: Sendable, Equatable {
    public var jobID: String?
    public var sequenceIDs: [String]
    public var lambdaTags: [String]
    public var topK: Int
    public var ref: ModelIdentity
    public var aligned: ModelIdentity
    public var tokenizerHash: String

    public init(jobID: String?, sequenceIDs: [String], lambdaTags: [String], topK: Int,
                ref: ModelIdentity, aligned: ModelIdentity, tokenizerHash: String) {
        self.jobID = jobID
        self.sequenceIDs = sequenceIDs
        self.lambdaTags = lambdaTags
        self.topK = topK
        self.ref = ref
        self.aligned = aligned
        self.tokenizerHash = tokenizerHash
    }

    public var safetensorsMetadata: [String: String] {
        var metadata = [
            "sequence_ids": JSONValue.array(sequenceIDs.map { .string($0) }).jsonText,
            "lambda_tags": JSONValue.array(lambdaTags.map { .string($0) }).jsonText,
            "top_k": String(topK),
            "ref_model": ref.name,
            "ref_model_hash": ref.contentHash,
            "aligned_model": aligned.name,
            "aligned_model_hash": aligned.contentHash,
            "tokenizer_hash": tokenizerHash,
        ]
        if let jobID { metadata["job_id"] = jobID }
        return metadata
    }

    public init(safetensorsMetadata metadata: [String: String], source: String? = nil) throws(TeacherTargetsError) {
        func value(_ key: String) throws(TeacherTargetsError) -> String {
            guard let value = metadata[key] else { throw TeacherTargetsError(source: source, "metadata '\(key)' is missing") }
            return value
        }
        func stringList(_ key: String) throws(TeacherTargetsError) -> [String] {
            let text = try value(key)
            guard let elements = (try? JSONParser.parse(text))?.arrayValue else {
                throw TeacherTargetsError(source: source, "metadata '\(key)' is not a JSON list")
            }
            var strings: [String] = []
            for element in elements {
                guard let string = element.stringValue else {
                    throw TeacherTargetsError(source: source, "metadata '\(key)' holds \(element.typeName), not a string")
                }
                strings.append(string)
            }
            return strings
        }
        guard let topK = Int(try value("top_k")) else { throw TeacherTargetsError(source: source, "metadata 'top_k' is not an integer") }
        self.init(jobID: metadata["job_id"], sequenceIDs: try stringList("sequence_ids"),
                  lambdaTags: try stringList("lambda_tags"), topK: topK,
                  ref: ModelIdentity(name: try value("ref_model"), contentHash: try value("ref_model_hash")),
                  aligned: ModelIdentity(name: try value("aligned_model"), contentHash: try value("aligned_model_hash")),
                  tokenizerHash: try value("tokenizer_hash"))
    }
}
