package dev.spinup.controlplane.grpc;

import io.grpc.Codec;
import io.grpc.Decompressor;
import io.grpc.DecompressorRegistry;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * gzip for request messages, opened at the first read instead of when the frame arrives. A body
 * declared gzip that is not gzip then fails while the request is parsed — answered
 * INVALID_ARGUMENT / MALFORMED_REQUEST by {@link MalformedRequests} — instead of in gRPC's
 * transport, which answers INTERNAL with no ErrorInfo and logs a stack trace.
 */
final class LazyGzip implements Decompressor {
    static DecompressorRegistry registry() {
        return DecompressorRegistry.emptyInstance().with(new LazyGzip(), true).with(Codec.Identity.NONE, false);
    }

    @Override
    public String getMessageEncoding() {
        return "gzip";
    }

    @Override
    public InputStream decompress(InputStream is) {
        return new FilterInputStream(is) {
            private boolean opened;

            private InputStream opened() throws IOException {
                if (!opened) {
                    in = new GZIPInputStream(in);
                    opened = true;
                }
                return in;
            }

            @Override
            public int read() throws IOException {
                return opened().read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return opened().read(b, off, len);
            }

            @Override
            public long skip(long n) throws IOException {
                return opened().skip(n);
            }

            @Override
            public int available() throws IOException {
                return opened ? in.available() : 0;
            }

            @Override
            public boolean markSupported() {
                return false;
            }
        };
    }
}
