package dev.spinup.agent;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The host agent's packages form layers, and every arrow points down:
 * <pre>
 *   wiring     HostAgent, Main, enrollment, configuration
 *   session    the two streams to the control plane and the durable event outbox
 *   commands   command execution: idempotency journal, per-workspace locks, the executor
 *   snapshots  snapshot upload and download (S3 through presigned URLs)
 *   edge       Caddy: admin client, process, last-good config, route guard, certificates
 *   drivers    the VM drivers (qemu, process, noop) and what they share
 * </pre>
 * The edge and snapshots are beside each other, not above: neither imports the other.
 */
class LayersTest {
    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.spinup.agent");
    }

    @Test
    void everyArrowPointsDown() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("drivers")
                .definedBy("..agent.drivers..")
                .layer("edge")
                .definedBy("..agent.edge..")
                .layer("snapshots")
                .definedBy("..agent.snapshots..")
                .layer("commands")
                .definedBy("..agent.commands..")
                .layer("session")
                .definedBy("..agent.session..")
                .layer("wiring")
                .definedBy("dev.spinup.agent")
                .whereLayer("wiring")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("session")
                .mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("commands")
                .mayOnlyBeAccessedByLayers("session", "wiring")
                .whereLayer("snapshots")
                .mayOnlyBeAccessedByLayers("commands", "session", "wiring")
                .whereLayer("edge")
                .mayOnlyBeAccessedByLayers("commands", "session", "wiring")
                .whereLayer("drivers")
                .mayOnlyBeAccessedByLayers("edge", "snapshots", "commands", "session", "wiring")
                .check(classes);
    }

    @Test
    void noPackagesDependOnEachOtherInACycle() {
        slices().matching("dev.spinup.agent.(*)..").should().beFreeOfCycles().check(classes);
    }
}
