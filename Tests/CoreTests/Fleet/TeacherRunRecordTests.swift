import Foundation
import Testing
@testable import Core

@Suite struct TeacherRunRecordTests {
    let settings = ["data": "d1", "ref": "smol", "aligned": "smol", "lambdas": "0.5", "top_k": "32", "cutoff_len": ""]

    @Test func aRefusedResumeNamesEachChangedSetting() {
        let record = TeacherRunDirectory.Record(runID: "r", fingerprint: "f", settings: settings)
        var now = settings
        now["data"] = "d2"
        now["lambdas"] = "0.7"
        now["cutoff_len"] = "512"
        #expect(record.changes(to: now) == [
            "cutoff_len (unset in the run, 512 now)", "data (other records)", "lambdas (0.5 in the run, 0.7 now)",
        ])
        #expect(record.changes(to: settings).isEmpty)
    }

    @Test func aRecordOfAnOlderVersionHasNoSettingsToCompare() throws {
        let older = try JSONDecoder().decode(TeacherRunDirectory.Record.self, from: Data(#"{"run_id":"r","fingerprint":"f"}"#.utf8))
        #expect(older.settings == nil)
        #expect(older.changes(to: settings).isEmpty)
    }
}
