package dev.spinup.controlplane.api;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A canonical fingerprint of a request: SHA-256 of its message type and its deterministic
 * serialization (map entries sorted) with request_id cleared. Same RPC and parameters, same
 * fingerprint; the type matters because different requests (a Suspend and a Delete of the same
 * workspace) can serialize to the same bytes.
 */
final class Fingerprints {
    private Fingerprints() {}

    static String of(Message withoutRequestId) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            withoutRequestId.writeTo(out);
            out.flush();
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(withoutRequestId.getDescriptorForType().getFullName().getBytes(StandardCharsets.UTF_8));
            digest.update((byte) 0);
            digest.update(bytes.toByteArray());
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
