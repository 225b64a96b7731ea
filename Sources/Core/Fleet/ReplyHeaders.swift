/// The Kafka header names of the fleet's messages (ARCHITECTURE.md, "Topics and messages").
public enum ReplyHeaders {
    public static let contentType = "content-type"
    public static let jobID = "realign-job-id"
    /// SHA-256 of the job's bytes: two replies for one id with different hashes mean
    /// the id was reused for different contents.
    public static let jobSHA256 = "realign-job-sha256"
    /// `error` on an error reply.
    public static let status = "realign-status"
    public static let errorCode = "realign-error-code"
    public static let errorMessage = "realign-error-message"
    public static let sourceTopic = "realign-source-topic"
    public static let sourcePartition = "realign-source-partition"
    public static let sourceOffset = "realign-source-offset"
    /// On a DLQ copy without the job's bytes (too large for the worker's producer): how
    /// many bytes the job had. `realign-job-sha256` still identifies them.
    public static let omittedBytes = "realign-omitted-bytes"
    public static let jsonContentType = "application/json"
}
