import HoldfastConfig
import HoldfastUpstream
import Testing
@testable import HoldfastDaemon

/// Issue 24: `rotate_after_queries = 0` is documented and validated as "never"; the upstream
/// layer used to clamp it to 1 and rotate after every query.
@Suite struct ConfigurationMappingTests {
    static func upstream(_ rotation: String) throws -> UpstreamConfiguration {
        let config = try HoldfastConfiguration.parse("""
            [upstream]
            \(rotation)

            [[upstream.provider]]
            name = "local"
            servers = ["127.0.0.1:5301"]
            """, file: "rotation.toml")
        return ConfigurationMapping.upstream(config)
    }

    @Test func zeroMeansNeverRotate() throws {
        #expect(try Self.upstream("rotate_after_queries = 0").rotateAfterQueries == .never)
    }

    @Test func aCountRotatesAfterThatMany() throws {
        #expect(try Self.upstream("rotate_after_queries = 1").rotateAfterQueries == .afterQueries(1))
        #expect(try Self.upstream("rotate_after_queries = 250").rotateAfterQueries == .afterQueries(250))
        #expect(try Self.upstream("").rotateAfterQueries == .afterQueries(UpstreamSection().rotateAfterQueries))
    }
}
