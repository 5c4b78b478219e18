package io.synalign.models.llm;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The form in which a journal's record of what a server served ({@link CallJournal#SERVED_FILE})
 * names the server, so that spellings of one base URL that differ only in ways HTTP ignores
 * find the same record.
 *
 * <p>{@link #canonical} lowercases the scheme and host (RFC 3986 section 6.2.2.1: both are
 * case-insensitive), drops a port that is the scheme's default ({@code :80} for http,
 * {@code :443} for https; section 6.2.3) and the trailing slashes of the path (the client
 * strips them before building its endpoints, so {@code /v1/} and {@code /v1} reach the same
 * routes). It does not resolve names: {@code localhost} and {@code 127.0.0.1} stay two servers,
 * since a name may resolve elsewhere on another day or machine, and a record that stood in for
 * a different server would replay another model's replies; a miss only costs a re-send. The
 * path keeps its case and its percent-encoding (paths are case-sensitive). A URL already in
 * this form, as every base URL written in lowercase without a default port is, comes back
 * unchanged, character for character, so records written before this form existed are found as
 * they were.
 *
 * <p>Only the record's lookup uses it: journal keys ({@link RequestKeys}) hold no URL, and
 * requests go to the URL as given.
 */
final class ServerUrl {

    private ServerUrl() {
    }

    /**
     * {@code url} in its canonical form; text that is not an absolute URL with a host is returned
     * as it is.
     */
    static String canonical(String url) {
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            return url;
        }
        if (u.getScheme() == null || u.getHost() == null || u.isOpaque()) {
            return url;
        }
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        int port = u.getPort();
        if (port == 80 && scheme.equals("http") || port == 443 && scheme.equals("https")) {
            port = -1;
        }
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        int end = path.length();
        while (end > 0 && path.charAt(end - 1) == '/') {
            end--;
        }
        StringBuilder sb = new StringBuilder(url.length());
        sb.append(scheme).append("://");
        if (u.getRawUserInfo() != null) {
            sb.append(u.getRawUserInfo()).append('@'); // the client refuses these; kept as written
        }
        sb.append(u.getHost().toLowerCase(Locale.ROOT));
        if (port >= 0) {
            sb.append(':').append(port);
        }
        sb.append(path, 0, end);
        if (u.getRawQuery() != null) {
            sb.append('?').append(u.getRawQuery());
        }
        if (u.getRawFragment() != null) {
            sb.append('#').append(u.getRawFragment());
        }
        return sb.toString();
    }
}
