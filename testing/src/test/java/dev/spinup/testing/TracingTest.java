package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.Operation;
import dev.spinup.controlplane.core.Envelope;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One CreateWorkspace is one trace: the RPC's server span (OpenTelemetry's gRPC instrumentation,
 * semantic-convention name and rpc.* attributes), the call, every run of the operation's job, each step, the
 * agent's execution of each command (its context travels in the command) and the control
 * plane's handling of each result (its context travels back in the event), correctly parented.
 */
class TracingTest {
    static final InMemorySpanExporter spans = InMemorySpanExporter.create();
    static SpinUpCluster cluster;

    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.with(b -> b.openTelemetry(OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans))
                    .build())
            .build()));

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(4, 8, 50));
    }

    @Test
    void aCreateIsOneTraceFromTheCallToTheAgentAndBack() {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("traced").build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        String op = create.getId();

        SpanData call = Eventually.await(
                        Duration.ofSeconds(10),
                        "the call's span",
                        () -> spans.getFinishedSpanItems().stream()
                                .filter(s -> s.getName().equals("WorkspaceService.create")
                                        && op.equals(
                                                s.getAttributes().get(AttributeKey.stringKey("spinup.operation_id"))))
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        // The last result is handled before the job's final run ends: wait for all three results.
        List<SpanData> trace = Eventually.await(
                Duration.ofSeconds(10),
                "the whole trace",
                () -> spans.getFinishedSpanItems().stream()
                        .filter(s -> s.getTraceId().equals(call.getTraceId()))
                        .toList(),
                t -> t.stream().filter(s -> s.getName().startsWith("result ")).count() == 3);
        Map<String, SpanData> byId = trace.stream().collect(Collectors.toMap(SpanData::getSpanId, Function.identity()));

        SpanData rpc = byId.get(call.getParentSpanId());
        assertThat(rpc).as("the RPC's server span is the call's parent").isNotNull();
        assertThat(rpc.getName()).isEqualTo("spinup.v1.WorkspaceService/CreateWorkspace");
        assertThat(rpc.getKind()).isEqualTo(io.opentelemetry.api.trace.SpanKind.SERVER);
        assertThat(rpc.getParentSpanContext().isValid())
                .as("the RPC is the root")
                .isFalse();
        assertThat(rpc.getAttributes().get(AttributeKey.stringKey("rpc.system")))
                .isEqualTo("grpc");
        assertThat(rpc.getAttributes().get(AttributeKey.stringKey("rpc.service")))
                .isEqualTo("spinup.v1.WorkspaceService");
        assertThat(rpc.getAttributes().get(AttributeKey.stringKey("rpc.method")))
                .isEqualTo("CreateWorkspace");
        assertThat(trace)
                .extracting(SpanData::getName)
                .as("span names carry no ids")
                .noneMatch(n -> n.matches(".*[0-9a-f]{8}-[0-9a-f]{4}-.*"));
        List<SpanData> jobs = named(trace, "job create");
        assertThat(jobs)
                .isNotEmpty()
                .allSatisfy(j -> assertThat(j.getParentSpanId()).isEqualTo(call.getSpanId()));
        for (String step : List.of("provision", "start", "routes")) {
            List<SpanData> stepSpans = named(trace, "step " + step);
            assertThat(stepSpans)
                    .as("step %s", step)
                    .isNotEmpty()
                    .allSatisfy(s ->
                            assertThat(byId.get(s.getParentSpanId()).getName()).isEqualTo("job create"));
        }
        Map<String, String> commandStep =
                Map.of("PROVISION_VM", "provision", "START_VM", "start", "APPLY_EDGE_ROUTES", "routes");
        commandStep.forEach((kind, step) -> {
            SpanData agent = named(trace, "agent " + kind).getFirst();
            assertThat(byId.get(agent.getParentSpanId()).getName()).isEqualTo("step " + step);
            SpanData result = named(trace, "result " + step).getFirst();
            assertThat(result.getAttributes().get(AttributeKey.stringKey("spinup.command_id")))
                    .isEqualTo(op + "/" + step);
            assertThat(result.getParentSpanId()).as("the result of %s", kind).isEqualTo(agent.getSpanId());
        });
    }

    @Test
    void aClientErrorIsNotASpanErrorAndNamesNoId() {
        String missing = java.util.UUID.randomUUID().toString();
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> cluster.product()
                        .getWorkspace(dev.spinup.api.v1.GetWorkspaceRequest.newBuilder()
                                .setWorkspaceId(missing)
                                .build())))
                .isInstanceOf(io.grpc.StatusRuntimeException.class);
        SpanData rpc = Eventually.await(
                        Duration.ofSeconds(10),
                        "the GetWorkspace span",
                        () -> spans.getFinishedSpanItems().stream()
                                .filter(s -> s.getName().equals("spinup.v1.WorkspaceService/GetWorkspace")
                                        && Long.valueOf(5)
                                                .equals(s.getAttributes()
                                                        .get(AttributeKey.longKey("rpc.grpc.status_code"))))
                                .findFirst(),
                        java.util.Optional::isPresent)
                .orElseThrow();
        assertThat(rpc.getStatus().getStatusCode())
                .as("NOT_FOUND is the caller's problem, not the server's")
                .isEqualTo(io.opentelemetry.api.trace.StatusCode.UNSET);
    }

    private static List<SpanData> named(List<SpanData> trace, String name) {
        return trace.stream().filter(s -> s.getName().equals(name)).toList();
    }
}
