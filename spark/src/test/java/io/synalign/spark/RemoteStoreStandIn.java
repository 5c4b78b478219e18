package io.synalign.spark;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * A remote store's stand-in for the tests ({@value #SCHEME}{@code ://store/...}): every call
 * that would go over the network (a status, a listing, an open) is counted in {@link #CALLS}
 * and finds nothing, as a store whose files are gone, or a cluster that no longer answers,
 * would (the real ones may first retry for minutes). Not cached, so a test's configuration is
 * the one it reads.
 */
public final class RemoteStoreStandIn extends FileSystem {
    static final String SCHEME = "remote33";
    /** Calls that would have gone over the network, since the last reset. */
    static final AtomicInteger CALLS = new AtomicInteger();

    private URI uri;

    /** Makes {@code conf} open {@value #SCHEME} paths with this class. */
    static Configuration install(Configuration conf) {
        conf.set("fs." + SCHEME + ".impl", RemoteStoreStandIn.class.getName());
        conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
        return conf;
    }

    @Override
    public void initialize(URI name, Configuration conf) throws IOException {
        super.initialize(name, conf);
        uri = URI.create(SCHEME + "://" + name.getAuthority());
        setConf(conf);
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public URI getUri() {
        return uri;
    }

    private static FileNotFoundException gone(Path f) {
        CALLS.incrementAndGet();
        return new FileNotFoundException("remote: " + f);
    }

    @Override
    public FileStatus getFileStatus(Path f) throws IOException {
        throw gone(f);
    }

    @Override
    public FileStatus[] listStatus(Path f) throws IOException {
        throw gone(f);
    }

    @Override
    public FSDataInputStream open(Path f, int bufferSize) throws IOException {
        throw gone(f);
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite,
            int bufferSize, short replication, long blockSize, Progressable progress)
            throws IOException {
        throw gone(f);
    }

    @Override
    public FSDataOutputStream append(Path f, int bufferSize, Progressable progress)
            throws IOException {
        throw gone(f);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        throw gone(src);
    }

    @Override
    public boolean delete(Path f, boolean recursive) throws IOException {
        throw gone(f);
    }

    @Override
    public void setWorkingDirectory(Path dir) {
    }

    @Override
    public Path getWorkingDirectory() {
        return new Path(uri.toString() + "/");
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
        throw gone(f);
    }
}
