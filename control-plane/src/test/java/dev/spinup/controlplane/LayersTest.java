package dev.spinup.controlplane;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The control plane's packages form layers, and every arrow points down:
 * <pre>
 *   wiring       ControlPlane, Wiring, Main
 *   api          the gRPC WorkspaceService, auth
 *   adapters     postgres, agents (the agent link), storage (S3), aws (Auto Scaling), pki, metrics, grpc
 *   transitions  one class per verb, and the fleet's and snapshots' background work
 *   steps        the step kits verbs are made of (agent commands, snapshots), with the ports they need
 *   engine       steps, plans, the runner, db-scheduler
 *   store        the persistence ports: Tx and one store per table group, the snapshot bucket
 *   core         the model and errors
 * </pre>
 * gRPC and generated messages appear only in the adapters and above; Jdbi and JDBC only in postgres.
 */
class LayersTest {
    static JavaClasses classes;

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.spinup.controlplane");
    }

    @Test
    void everyArrowPointsDown() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("core")
                .definedBy("..controlplane.core..")
                .layer("store")
                .definedBy("..controlplane.store..")
                .layer("engine")
                .definedBy("..controlplane.engine..")
                .layer("steps")
                .definedBy("..controlplane.steps..")
                .layer("transitions")
                .definedBy("..controlplane.transitions..", "..controlplane.fleet..", "..controlplane.snapshots..")
                .layer("adapters")
                .definedBy(
                        "..controlplane.postgres..",
                        "..controlplane.agents..",
                        "..controlplane.storage..",
                        "..controlplane.aws..",
                        "..controlplane.dns..",
                        "..controlplane.pki..",
                        "..controlplane.metrics..",
                        "..controlplane.grpc..")
                .layer("api")
                .definedBy("..controlplane.api..", "..controlplane.auth..")
                .layer("wiring")
                .definedBy("dev.spinup.controlplane")
                .whereLayer("wiring")
                .mayNotBeAccessedByAnyLayer()
                .whereLayer("api")
                .mayOnlyBeAccessedByLayers("wiring")
                .whereLayer("adapters")
                .mayOnlyBeAccessedByLayers("api", "wiring")
                .whereLayer("transitions")
                .mayOnlyBeAccessedByLayers("adapters", "api", "wiring")
                .whereLayer("steps")
                .mayOnlyBeAccessedByLayers("transitions", "adapters", "api", "wiring")
                .whereLayer("engine")
                .mayOnlyBeAccessedByLayers("steps", "transitions", "adapters", "api", "wiring")
                .whereLayer("store")
                .mayOnlyBeAccessedByLayers("engine", "steps", "transitions", "adapters", "api", "wiring")
                .check(classes);
    }

    @Test
    void noPackagesDependOnEachOtherInACycle() {
        slices().matching("dev.spinup.controlplane.(*)..")
                .should()
                .beFreeOfCycles()
                .check(classes);
    }

    @Test
    void grpcAndGeneratedMessagesStayAtTheEdge() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "..controlplane.core..",
                        "..controlplane.store..",
                        "..controlplane.engine..",
                        "..controlplane.steps..",
                        "..controlplane.transitions..",
                        "..controlplane.fleet..",
                        "..controlplane.snapshots..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.grpc..", "dev.spinup.api.v1..", "com.google.protobuf..", "com.google.rpc..")
                .check(classes);
    }

    @Test
    void onlyThePostgresAdapterTalksSql() {
        noClasses()
                .that()
                .resideOutsideOfPackages("..controlplane.postgres..", "dev.spinup.controlplane")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.jdbi..", "java.sql..", "org.postgresql..", "com.zaxxer..", "org.flywaydb..")
                .check(classes);
    }
}
