/// A bounded, seeded mutation run of one target: each iteration mutates a corpus entry
/// (`ByteMutator`), runs the target on it under a time bound, and keeps the mutant in the
/// corpus when the target accepted it (so later mutants start from inputs that get
/// deep into the reader). Deterministic for a seed, apart from the timings.
public struct FuzzCampaign: Sendable {
    public struct Report: Sendable {
        public var iterations = 0
        public var accepted = 0
        public var refused = 0
        /// The longest time one input took.
        public var slowest: Duration = .zero
        /// Inputs that took longer than the bound, with their time.
        public var slowInputs: [(input: [UInt8], time: Duration)] = []
        public var failures: [FuzzFailure] = []
    }

    /// The corpus keeps at most this many accepted mutants beside its seeds.
    static let maximumCorpusGrowth = 256

    public let target: FuzzTarget
    public let seeds: [[UInt8]]
    public let seed: UInt64
    public let timeBoundPerInput: Duration

    public init(target: FuzzTarget, seeds: [[UInt8]], seed: UInt64, timeBoundPerInput: Duration) {
        precondition(!seeds.isEmpty, "a campaign needs at least one seed input")
        self.target = target
        self.seeds = seeds
        self.seed = seed
        self.timeBoundPerInput = timeBoundPerInput
    }

    /// Runs the seeds themselves, then `iterations` mutants.
    public func run(iterations: Int) -> Report {
        var report = Report()
        var mutator = ByteMutator(seed: seed, dictionary: target.dictionary)
        var corpus = seeds
        let clock = ContinuousClock()
        func attempt(_ input: [UInt8]) -> FuzzTarget.Outcome? {
            let start = clock.now
            let result = Result { () throws(FuzzFailure) -> FuzzTarget.Outcome in try target.run(input) }
            let time = clock.now - start
            var outcome: FuzzTarget.Outcome?
            switch result {
            case .success(let value): outcome = value
            case .failure(let failure): report.failures.append(failure)
            }
            report.iterations += 1
            report.slowest = max(report.slowest, time)
            if time > timeBoundPerInput { report.slowInputs.append((input, time)) }
            switch outcome {
            case .accepted: report.accepted += 1
            case .refused: report.refused += 1
            case nil: break
            }
            return outcome
        }
        for input in seeds { _ = attempt(input) }
        var random = SamplingRandomGenerator(seed: seed ^ 0x5EED)
        for _ in 0..<iterations {
            let parent = corpus[Int(random.next() % UInt64(corpus.count))]
            let partner = corpus[Int(random.next() % UInt64(corpus.count))]
            let mutant = mutator.mutate(parent, splicingWith: partner)
            if attempt(mutant) == .accepted, corpus.count < seeds.count + Self.maximumCorpusGrowth {
                corpus.append(mutant)
            }
        }
        return report
    }
}
