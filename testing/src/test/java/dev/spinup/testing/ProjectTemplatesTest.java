package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.v1.GetWorkspaceRequest;
import dev.spinup.api.v1.Operation;
import dev.spinup.api.v1.ProjectTemplate;
import dev.spinup.api.v1.Workspace;
import dev.spinup.controlplane.core.Envelope;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The project templates chosen at CreateWorkspace, each served by its workspace and rendered by
 * a real browser: the page's own script must run for the marker text to appear.
 */
class ProjectTemplatesTest {
    @RegisterExtension
    static final SpinUpExtension spinup = SpinUpExtension.defaults();

    static SpinUpCluster cluster;

    @BeforeAll
    static void start() {
        cluster = spinup.cluster();
        cluster.startAgent(new Envelope(8, 16, 100));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "PROJECT_TEMPLATE_REACT            | Rendered by React in your SpinUp workspace",
                "PROJECT_TEMPLATE_REACT_NATIVE_WEB | Rendered by React Native for Web in your SpinUp workspace",
                "PROJECT_TEMPLATE_NEXTJS           | Rendered by Next.js in your SpinUp workspace"
            })
    void theTemplatesAppRendersInABrowser(ProjectTemplate template, String rendered) throws Exception {
        Operation create = cluster.product()
                .createWorkspace(Workspaces.hobby("tpl-" + template)
                        .setTemplate(template)
                        .build())
                .getOperation();
        Workspaces.awaitSucceeded(cluster.product(), create);
        Workspace ws = cluster.product()
                .getWorkspace(GetWorkspaceRequest.newBuilder()
                        .setWorkspaceId(create.getWorkspaceId())
                        .build())
                .getWorkspace();
        assertThat(ws.getTemplate()).isEqualTo(template);

        assertThat(Chromium.renderedDom(spinup.dir(), ws.getUrl() + "/"))
                .contains("id=\"rendered-by\"")
                .contains(rendered);
    }
}
