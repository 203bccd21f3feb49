package dev.spinup.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** serve's aws-asg options: offered only with --asg-groups, and every bad value is one line naming the option. */
class AsgOptionsTest {
    @TempDir
    Path dir;

    private static AsgOptions parse(String... args) {
        AsgOptions options = new AsgOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void withoutGroupsTheProviderIsNotOffered() {
        assertThat(parse().config()).isNull();
    }

    @Test
    void groupsTemplateUserDataAndCapacityMakeTheProvidersSettings() throws Exception {
        Path userData = Files.writeString(dir.resolve("user-data.sh"), "#!/bin/bash\necho {{tokens}}\n");
        var config = parse(
                        "--asg-groups", "eu-1=spinup-eu-1, us-2=spinup-us-2",
                        "--asg-launch-template", "lt-1",
                        "--asg-user-data", userData.toString(),
                        "--asg-host-capacity", "16,64,400")
                .config();
        assertThat(config.groups()).containsEntry("eu-1", "spinup-eu-1").containsEntry("us-2", "spinup-us-2");
        assertThat(config.userData()).contains("{{tokens}}");
        assertThat(config.hostCapacity().vcpu()).isEqualTo(16);
        assertThat(config.lifecycleHook()).isEqualTo("spinup-drain");
    }

    @Test
    void badValuesAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> parse("--asg-groups", "eu-1").config())
                .hasMessage("--asg-groups takes region=group,... (got \"eu-1\")");
        assertThatThrownBy(() -> parse("--asg-groups", "eu-1=g").config())
                .hasMessage("--asg-groups needs --asg-launch-template, --asg-user-data and --asg-host-capacity");
        assertThatThrownBy(() -> parse(
                                "--asg-groups", "eu-1=g",
                                "--asg-launch-template", "lt-1",
                                "--asg-user-data", dir.resolve("missing.sh").toString(),
                                "--asg-host-capacity", "16,64")
                        .config())
                .hasMessage("--asg-host-capacity takes vcpu,ram-gib,disk-gib (got \"16,64\")");
        assertThatThrownBy(() -> parse(
                                "--asg-groups", "eu-1=g",
                                "--asg-launch-template", "lt-1",
                                "--asg-user-data", dir.resolve("missing.sh").toString(),
                                "--asg-host-capacity", "16,64,400")
                        .config())
                .hasMessageStartingWith("--asg-user-data: cannot read ");
    }
}
