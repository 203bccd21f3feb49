package dev.spinup.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spinup.api.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The README's settings tables are generated from the options themselves (flag, environment
 * variable and config-file key, default, meaning): a setting added, renamed or given another
 * default without the README following fails here; target/settings-<component>.md holds the table to paste.
 */
class SettingsTableTest {
    @Test
    void theReadmesTablesAreTheOptionsOwn() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertTable(readme, "control-plane", new dev.spinup.controlplane.Main());
        assertTable(readme, "host-agent", new dev.spinup.agent.Main());
    }

    private static void assertTable(String readme, String component, Object command) throws IOException {
        String generated = Settings.markdown(new CommandLine(command).getCommandSpec());
        // the table to paste when the README is behind
        Files.writeString(
                Files.createDirectories(Path.of("target")).resolve("settings-" + component + ".md"), generated);
        String begin = "<!-- settings:" + component + " (generated: SettingsTableTest) -->\n";
        String end = "<!-- /settings:" + component + " -->";
        assertThat(readme)
                .as("the README marks the %s settings table", component)
                .contains(begin, end);
        String documented = readme.substring(readme.indexOf(begin) + begin.length(), readme.indexOf(end));
        assertThat(documented)
                .as("the %s settings table, as generated", component)
                .isEqualTo(generated);
    }
}
