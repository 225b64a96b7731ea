import Testing
@testable import Core

@Suite struct LambdaTagTests {
    @Test func tagsAreShortestRoundTripDecimals() {
        let table: [(Double, String)] = [
            (0.5, "0.5"), (2, "2.0"), (2.0, "2.0"), (-0.25, "-0.25"), (10, "10.0"), (-10, "-10.0"), (0.1, "0.1"),
            (1, "1.0"), (0, "0.0"), (-0.0, "0.0"), (1.0 / 3, "0.3333333333333333"), (0.0001, "0.0001"),
            (0.00012, "0.00012"), (1e-05, "1e-05"), (1.5e-05, "1.5e-05"), (1e-07, "1e-07"), (0.30000000000000004, "0.30000000000000004"),
        ]
        for (lambda, tag) in table {
            #expect(LambdaTag.tag(for: lambda) == tag, "lambda \(lambda)")
            #expect(Double(tag) == lambda, "tag \(tag) reads back")
        }
    }

    @Test func tensorNames() {
        #expect(LambdaTag.topKIDsName("2.0") == "lambda_2.0.topk_ids")
        #expect(LambdaTag.topKLogprobsName("-0.25") == "lambda_-0.25.topk_logprobs")
        #expect(LambdaTag.targetLogprobName("0.5") == "lambda_0.5.target_logprob")
    }
}
