import Foundation
import Testing
import Training
import Wire

/// A config's bytes on the wire are the ones every earlier build wrote (recorded before the config's
/// Codable was derived from the hyperparameter table), and an old message still reads.
@Suite("Config bytes")
struct ConfigBytesTests {
    /// Every hyperparameter away from its default, the learning rate not even finite.
    static var every: TrainingConfig {
        var config = TrainingConfig()
        config.learningRate = .infinity
        config.momentum = 0.9
        config.nesterov = true
        config.weightDecay = 1e-4
        config.l1 = 1e-5
        config.maxNorm = 3
        config.dropout = 0.25
        config.augment = .rotateFlip
        config.hidden = [256, 64, 32]
        config.epochs = 7
        config.batchSize = 32
        config.seed = 9_007_199_254_740_991
        config.trainLimit = 1000
        config.testLimit = 500
        config.optimizer = .rmsprop
        config.centered = true
        config.teacher = "t.safetensors"
        config.distillTemperature = 4
        config.distillAlpha = 0.5
        return config
    }

    @Test func aTrialsBytesAreUnchanged() {
        func text(_ config: TrainingConfig) -> String {
            String(decoding: Message.trial(id: "t", number: 1, config: config).encoded(), as: UTF8.self)
        }
        #expect(text(TrainingConfig()) == #"{"config":{"augment":"none","batch_size":64,"centered":false,"distill_alpha":0,"#
            + #""distill_temperature":1,"dropout":0,"epochs":10,"hidden":[128,128],"l1":0,"learning_rate":0.01,"#
            + #""max_norm":0,"momentum":0,"nesterov":false,"optimizer":"sgd","seed":0,"weight_decay":0},"#
            + #""number":1,"trial":"t","type":"trial","v":1}"#)
        #expect(text(Self.every) == #"{"config":{"augment":"rotate_flip","batch_size":32,"centered":true,"distill_alpha":0.5,"#
            + #""distill_temperature":4,"dropout":0.25,"epochs":7,"hidden":[256,64,32],"l1":1e-05,"#
            + #""learning_rate":"inf","max_norm":3,"momentum":0.9,"nesterov":true,"optimizer":"rmsprop","#
            + #""seed":9007199254740991,"teacher":"t.safetensors","test_limit":500,"train_limit":1000,"#
            + #""weight_decay":0.0001},"number":1,"trial":"t","type":"trial","v":1}"#)
    }

    @Test func aMessageOfTheFirstReleaseReadsWithTheAddedHyperparametersAtTheirDefaults() throws {
        let old = #"{"v":1,"type":"trial","trial":"x","config":{"learning_rate":0.1,"momentum":0,"nesterov":false,"#
            + #""weight_decay":0,"l1":0,"max_norm":0,"dropout":0,"augment":"none","hidden":[1],"epochs":1,"batch_size":1,"#
            + #""seed":3}}"#
        guard case .trial(_, _, let config?, _) = try Message.decode(Array(old.utf8)) else {
            Issue.record("not a trial")
            return
        }
        var expected = TrainingConfig()
        expected.learningRate = 0.1
        expected.hidden = [1]
        expected.epochs = 1
        expected.batchSize = 1
        expected.seed = 3
        #expect(config == expected)
        let missing = #"{"v":1,"type":"trial","trial":"x","config":{"learning_rate":0.1}}"#
        #expect(throws: WireError.malformed("missing momentum in config")) { try Message.decode(Array(missing.utf8)) }
    }
}
