/// The name of a lambda in tensor names and metadata: the shortest decimal that reads back
/// as the same double, with at least one digit after the point (`0.5`, `2.0`, `-0.25`,
/// `10.0`). These are exactly Python's `repr` digits, so magnitudes below 1e-4 take
/// exponent form as Python writes them (`1e-05`, `1.5e-05`); negative zero is tagged
/// `0.0` since it is the same lambda as zero.
public enum LambdaTag {
    public static func tag(for lambda: Double) -> String {
        (lambda == 0 ? 0.0 : lambda).description
    }

    public static func topKIDsName(_ tag: String) -> String { "lambda_\(tag).topk_ids" }
    public static func topKLogprobsName(_ tag: String) -> String { "lambda_\(tag).topk_logprobs" }
    public static func targetLogprobName(_ tag: String) -> String { "lambda_\(tag).target_logprob" }
}
