package io.synalign.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import io.synalign.data.Record;
import io.synalign.data.RecordReader;
import io.synalign.io.InputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The passages of a BEIR corpus ({@code corpus.jsonl}: one object per line with {@code _id},
 * {@code title} and {@code text}), in file order. A passage is embedded and shown as its title
 * and text joined by a space (BEIR's sentence-transformers convention).
 */
public final class Corpus {

    private final Path file;
    private final List<String> ids;
    private final List<String> titles;
    private final List<String> texts;
    private final Map<String, Integer> rows;
    /** Row to the rows of its text, for rows whose text occurs more than once; lazily built. */
    private volatile Map<Integer, int[]> copies;

    private Corpus(Path file, List<String> ids, List<String> titles, List<String> texts,
            Map<String, Integer> rows) {
        this.file = file;
        this.ids = List.copyOf(ids);
        this.titles = List.copyOf(titles);
        this.texts = List.copyOf(texts);
        this.rows = rows;
    }

    /**
     * Reads a BEIR corpus (JSON Lines, CSV or TSV, optionally gzip-compressed).
     *
     * @throws InputException naming the file and line of a record without an {@code _id}, with
     *     a duplicate {@code _id}, or with neither title nor text; or an empty file
     */
    public static Corpus read(Path file, long maxLineBytes) throws IOException {
        List<Record> records = RecordReader.read(file, maxLineBytes);
        if (records.isEmpty()) {
            throw new InputException(file, "the corpus has no passages");
        }
        List<String> ids = new ArrayList<>(records.size());
        List<String> titles = new ArrayList<>(records.size());
        List<String> texts = new ArrayList<>(records.size());
        Map<String, Integer> rows = new HashMap<>();
        Map<String, Long> lines = new HashMap<>();
        for (Record r : records) {
            String id = QueryRows.id(file, r, "_id");
            Long first = lines.putIfAbsent(id, r.line());
            if (first != null) {
                throw new InputException(file, r.line(), "duplicate _id '" + id
                        + "' (first on line " + first + ")");
            }
            String title = optionalText(file, r, "title");
            String text = optionalText(file, r, "text");
            if (title.isBlank() && text.isBlank()) {
                throw new InputException(file, r.line(), "passage '" + id + "' has neither a"
                        + " title nor a text");
            }
            rows.put(id, ids.size());
            ids.add(id);
            titles.add(title);
            texts.add(text);
        }
        return new Corpus(file, ids, titles, texts, rows);
    }

    /** Passages given directly (ids distinct; a title may be empty). */
    public static Corpus of(List<String> ids, List<String> titles, List<String> texts) {
        Map<String, Integer> rows = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            if (rows.put(ids.get(i), i) != null) {
                throw new IllegalArgumentException("duplicate passage id '" + ids.get(i) + "'");
            }
        }
        return new Corpus(null, ids, titles, texts, rows);
    }

    private static String optionalText(Path file, Record r, String field) {
        JsonNode v = r.get(field);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isTextual()) {
            throw new InputException(file, r.line(), "field '" + field + "' is not a string");
        }
        return v.textValue();
    }

    /** The file it was read from, or null. */
    public Path file() {
        return file;
    }

    public int size() {
        return ids.size();
    }

    public String id(int row) {
        return ids.get(row);
    }

    public List<String> ids() {
        return ids;
    }

    /** The row of passage {@code id}, or -1. */
    public int row(String id) {
        Integer r = rows.get(id);
        return r == null ? -1 : r;
    }

    /**
     * The rows whose passage ({@link #passage}) is the very text of {@code row}'s, itself
     * included, ascending: BEIR corpora (Quora, CQADupStack) hold such copies under other ids,
     * and a copy of a query's positive mined as its hard negative teaches the retriever to push
     * away its own answer. Built on first use in O(passages).
     */
    public int[] copies(int row) {
        Map<Integer, int[]> c = copies;
        if (c == null) {
            // Grouped by a 64-bit hash of the text, not the text: a map of every passage's
            // string would double a large corpus's footprint. Rows that share a hash are then
            // split by their texts (a collision only costs that comparison).
            Map<Long, List<Integer>> byHash = new HashMap<>();
            for (int i = 0; i < size(); i++) {
                byHash.computeIfAbsent(hash64(passage(i)), h -> new ArrayList<>(1)).add(i);
            }
            c = new HashMap<>();
            for (List<Integer> candidates : byHash.values()) {
                if (candidates.size() < 2) {
                    continue;
                }
                Map<String, List<Integer>> byText = new java.util.LinkedHashMap<>();
                for (int r : candidates) {
                    byText.computeIfAbsent(passage(r), t -> new ArrayList<>(2)).add(r);
                }
                for (List<Integer> same : byText.values()) {
                    if (same.size() > 1) {
                        int[] rowsOf = same.stream().mapToInt(Integer::intValue).toArray();
                        for (int r : rowsOf) {
                            c.put(r, rowsOf);
                        }
                    }
                }
            }
            copies = c;
        }
        int[] same = c.get(row);
        return same == null ? new int[] {row} : same.clone();
    }

    /** FNV-1a over the UTF-16 code units, 64 bits. */
    private static long hash64(String s) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < s.length(); i++) {
            h ^= s.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** Title and text joined by a space (either may be empty), as embedded and shown. */
    public String passage(int row) {
        String t = titles.get(row);
        String x = texts.get(row);
        return t.isEmpty() ? x : x.isEmpty() ? t : t + " " + x;
    }

    /** Every passage as {@link #passage}, in row order. */
    public List<String> passages() {
        List<String> out = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) {
            out.add(passage(i));
        }
        return out;
    }

    public String title(int row) {
        return titles.get(row);
    }

    public String text(int row) {
        return texts.get(row);
    }
}
