import Testing
@testable import Core

@Suite struct ErrorReplyTests {
    @Test func encodesTheDocumentedJSON() {
        let reply = ErrorReply(id: "run42/000017", code: .badLambda, message: "lambda 11.0 is \"big\"")
        #expect(String(decoding: reply.jsonBytes(), as: UTF8.self)
                == #"{"id":"run42/000017","error":{"code":"bad_lambda","message":"lambda 11.0 is \"big\""}}"#)
        #expect(String(decoding: ErrorReply(id: nil, code: .malformedJSON, message: "x").jsonBytes(), as: UTF8.self)
                == #"{"id":null,"error":{"code":"malformed_json","message":"x"}}"#)
    }

    @Test func roundTripsAndRejectsOthers() throws {
        for reply in [ErrorReply(id: "j", code: .expired, message: "late"), ErrorReply(id: nil, code: .internal, message: "")] {
            #expect(try ErrorReply.decode(reply.jsonBytes()) == reply)
        }
        #expect(try ErrorReply.decode(Array(#"{"id": 7, "error": {"code": "too_long", "message": "m"}}"#.utf8))
                == ErrorReply(id: "7", code: .tooLong, message: "m"))
        #expect(throws: ErrorReply.DecodingError.self) { try ErrorReply.decode(Array(#"{"id": "j", "error": {"code": "nope", "message": "m"}}"#.utf8)) }
        #expect(throws: ErrorReply.DecodingError.self) { try ErrorReply.decode(Array("not json".utf8)) }
    }

    @Test func fromJobError() {
        let error = JobError(.badTopK, "top_k 0", jobID: "j1", replyTo: "r")
        #expect(ErrorReply(error) == ErrorReply(id: "j1", code: .badTopK, message: "top_k 0"))
    }

    @Test func errorCodesAreTheDocumentedList() {
        #expect(JobErrorCode.allCases.map(\.rawValue) == [
            "malformed_json", "unknown_schema", "unknown_kind", "unknown_model", "tokenizer_mismatch", "token_out_of_range",
            "bad_prompt_len", "too_long", "bad_lambda", "bad_top_k", "bad_sequence", "bad_reply_to", "reply_too_large",
            "expired", "internal", "bad_sampling", "bad_mode", "cancelled",
        ])
    }
}
