package io.synalign.report;

import java.util.List;

/**
 * Inline SVG charts for the report, as markup strings: no scripts, no external resources. Every
 * text drawn from data is escaped with {@link Html#escape}.
 */
final class Charts {

    private Charts() {
    }

    /** One point of a scatter plot: position in data units, radius in pixels, CSS class. */
    record Point(double x, double y, double radius, String cssClass) {
    }

    /** Data bounds of a scatter plot, shared by panels so that they compare. */
    record Bounds(double minX, double maxX, double minY, double maxY) {

        static Bounds of(List<Point> points) {
            double x0 = Double.POSITIVE_INFINITY;
            double x1 = Double.NEGATIVE_INFINITY;
            double y0 = Double.POSITIVE_INFINITY;
            double y1 = Double.NEGATIVE_INFINITY;
            for (Point p : points) {
                x0 = Math.min(x0, p.x());
                x1 = Math.max(x1, p.x());
                y0 = Math.min(y0, p.y());
                y1 = Math.max(y1, p.y());
            }
            if (points.isEmpty()) {
                return new Bounds(-1, 1, -1, 1);
            }
            // Degenerate spans (one point, or all points on a line) get a unit span.
            if (x1 - x0 <= 0) {
                x0 -= 1;
                x1 += 1;
            }
            if (y1 - y0 <= 0) {
                y0 -= 1;
                y1 += 1;
            }
            return new Bounds(x0, x1, y0, y1);
        }
    }

    /**
     * A histogram: bars over {@code [0, h.max()]}, a dashed marker at {@code marker} (e.g. 1 =
     * uniform weight) when it lies inside, nice ticks on both axes (whole row counts).
     */
    static String histogram(Histogram h, double marker, String xLabel) {
        int w = 340;
        int ht = 190;
        int left = 40;
        int right = 10;
        int top = 10;
        int bottom = 36;
        double plotW = w - left - right;
        double plotH = ht - top - bottom;
        int bins = h.counts().length;
        int maxCount = Math.max(1, h.maxCount());
        StringBuilder sb = new StringBuilder();
        sb.append("<svg class=\"chart histogram-chart\" width=\"").append(w).append("\" height=\"")
                .append(ht).append("\" viewBox=\"0 0 ").append(w).append(' ').append(ht)
                .append("\" role=\"img\">");
        axes(sb, left, top, plotW, plotH);
        for (int i = 0; i < bins; i++) {
            int c = h.counts()[i];
            if (c == 0) {
                continue;
            }
            double bh = plotH * c / maxCount;
            sb.append("<rect class=\"bar\" x=\"").append(Html.px(left + plotW * i / bins))
                    .append("\" y=\"").append(Html.px(top + plotH - bh)).append("\" width=\"")
                    .append(Html.px(Math.max(1, plotW / bins - 1))).append("\" height=\"")
                    .append(Html.px(bh)).append("\"><title>").append(c).append(" rows in [")
                    .append(Html.num(h.max() * i / bins)).append(", ")
                    .append(Html.num(h.max() * (i + 1) / bins)).append(")</title></rect>");
        }
        if (marker > 0 && marker <= h.max()) {
            double x = left + plotW * marker / h.max();
            sb.append("<line class=\"marker\" x1=\"").append(Html.px(x)).append("\" y1=\"")
                    .append(top).append("\" x2=\"").append(Html.px(x)).append("\" y2=\"")
                    .append(Html.px(top + plotH)).append("\"/>");
        }
        xTicks(sb, left, top, plotW, plotH, 0, h.max(), 5);
        text(sb, left + plotW / 2, top + plotH + 30, "middle", xLabel);
        yTicks(sb, left, top, plotW, plotH, 0, maxCount, 4, true);
        return sb.append("</svg>").toString();
    }

    /** Width of one character of an axis label (11 px sans-serif), a little above the average. */
    static final double LABEL_CHAR_PX = 6.5;

    /** Charts wider than this are put in a horizontally scrolling box: the page is 1,160 px. */
    static final int SCROLL_PX = 1100;

    /**
     * Grouped bars: one group per category, one bar per series; NaN and infinite values are
     * left out (an infinite value would make the scale, and so every bar, NaN). The
     * value axis spans from min(0, smallest) to the largest value (MMD^2 estimates may be
     * negative).
     */
    static String groupedBars(String id, List<String> categories, List<String> series,
            double[][] values) {
        int groups = categories.size();
        int nSeries = series.size();
        int left = 70;
        int right = 10;
        int top = 28;
        int bottom = 46;
        int w = Math.max(520, left + right + groups * (nSeries * 22 + 18));
        int ht = 280;
        double plotW = w - left - right;
        double plotH = ht - top - bottom;
        double lo = 0;
        double hi = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (hi - lo <= 0) {
            hi = lo + 1;
        }
        double span = hi - lo;
        double zeroY = top + plotH * hi / span;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg id=\"").append(Html.escape(id)).append("\" class=\"chart bar-chart\" width=\"")
                .append(w).append("\" height=\"").append(ht).append("\" viewBox=\"0 0 ").append(w)
                .append(' ').append(ht).append("\" role=\"img\">");
        axes(sb, left, top, plotW, plotH);
        sb.append("<line class=\"zero\" x1=\"").append(left).append("\" y1=\"")
                .append(Html.px(zeroY)).append("\" x2=\"").append(Html.px(left + plotW))
                .append("\" y2=\"").append(Html.px(zeroY)).append("\"/>");
        double groupW = plotW / Math.max(1, groups);
        double barW = Math.min(22, (groupW - 8) / nSeries);
        for (int g = 0; g < groups; g++) {
            double x0 = left + groupW * g + (groupW - barW * nSeries) / 2;
            for (int s = 0; s < nSeries; s++) {
                double v = values[g][s];
                if (!Double.isFinite(v)) {
                    continue;
                }
                double y = top + plotH * (hi - Math.max(v, 0)) / span;
                double bh = plotH * Math.abs(v) / span;
                sb.append("<rect class=\"bar series-").append(s).append("\" x=\"")
                        .append(Html.px(x0 + barW * s)).append("\" y=\"").append(Html.px(y))
                        .append("\" width=\"").append(Html.px(barW - 1)).append("\" height=\"")
                        .append(Html.px(Math.max(bh, 0.5))).append("\"><title>")
                        .append(Html.escape(categories.get(g))).append(", ")
                        .append(Html.escape(series.get(s))).append(": ").append(Html.num(v))
                        .append("</title></rect>");
            }
            // Cut to the group's width (at most 14 characters): 14 overlapped the next name
            // once a group was narrower than them (8 labels); the title holds the whole name.
            String name = categories.get(g);
            int fit = (int) Math.max(3, Math.min(14, Math.floor((groupW - 4) / LABEL_CHAR_PX)));
            String shown = Html.cut(name, fit);
            double x = left + groupW * g + groupW / 2;
            if (shown.equals(name)) {
                text(sb, x, top + plotH + 16, "middle", shown);
            } else {
                sb.append("<text x=\"").append(Html.px(x)).append("\" y=\"")
                        .append(Html.px(top + plotH + 16)).append("\" text-anchor=\"middle\"><title>")
                        .append(Html.escape(name)).append("</title>").append(Html.escape(shown))
                        .append("</text>");
            }
        }
        yTicks(sb, left, top, plotW, plotH, lo, hi, 5, false);
        for (int s = 0; s < nSeries; s++) {
            double lx = left + 10 + s * 160;
            sb.append("<rect class=\"bar series-").append(s).append("\" x=\"").append(Html.px(lx))
                    .append("\" y=\"8\" width=\"12\" height=\"12\"/>");
            text(sb, lx + 16, 18, "start", series.get(s));
        }
        sb.append("</svg>");
        // A chart wider than the page (300 labels: 18,680 px) scrolls in its own box, not the page.
        return w > SCROLL_PX ? "<div class=\"scroll\">" + sb + "</div>" : sb.toString();
    }

    /**
     * A line chart: one polyline with markers per series over the x positions {@code xs}
     * (whole numbers, e.g. rounds), NaN values left out (the line breaks there), series k
     * coloured {@code c(k mod 10)}; nice ticks, axis names, a legend of at most
     * {@value #LEGEND_ENTRIES} series. With {@code logY} the values are drawn on a log10 axis
     * (non-positive values left out).
     */
    static String lines(String id, String title, double[] xs, List<String> series, double[][] values,
            String xLabel, String yLabel, boolean logY) {
        int w = 540;
        int ht = 320;
        int left = 64;
        int right = 12;
        int top = 30;
        int bottom = 44 + 16 * ((Math.min(series.size(), LEGEND_ENTRIES) + 2) / 3);
        double plotW = w - left - right;
        double plotH = ht - top - 44;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double[] row : values) {
            for (double v : row) {
                double t = logY ? (v > 0 ? Math.log10(v) : Double.NaN) : v;
                if (Double.isFinite(t)) {
                    lo = Math.min(lo, t);
                    hi = Math.max(hi, t);
                }
            }
        }
        if (!Double.isFinite(lo)) {
            lo = 0;
            hi = 1;
        }
        if (hi - lo <= 0) {
            lo -= 0.5;
            hi += 0.5;
        }
        double x0 = xs.length == 0 ? 0 : xs[0];
        double x1 = xs.length == 0 ? 1 : xs[xs.length - 1];
        if (x1 - x0 <= 0) {
            x0 -= 0.5;
            x1 += 0.5;
        }
        double pad = (x1 - x0) * 0.04;
        x0 -= pad;
        x1 += pad;
        StringBuilder sb = new StringBuilder();
        sb.append("<svg id=\"").append(Html.escape(id)).append("\" class=\"chart line-chart\" width=\"")
                .append(w).append("\" height=\"").append(ht + bottom - 44).append("\" viewBox=\"0 0 ")
                .append(w).append(' ').append(ht + bottom - 44).append("\" role=\"img\">");
        text(sb, left + plotW / 2, 18, "middle", title);
        axes(sb, left, top, plotW, plotH);
        for (double t : xs) {
            double x = left + plotW * (t - x0) / (x1 - x0);
            text(sb, x, top + plotH + 15, "middle", Html.num(t));
        }
        text(sb, left + plotW / 2, top + plotH + 32, "middle", xLabel);
        if (logY) {
            for (double t : Ticks.of(lo, hi, 5)) {
                double y = top + plotH - plotH * (t - lo) / (hi - lo);
                sb.append("<line class=\"grid\" x1=\"").append(Html.px(left)).append("\" y1=\"")
                        .append(Html.px(y)).append("\" x2=\"").append(Html.px(left + plotW))
                        .append("\" y2=\"").append(Html.px(y)).append("\"/>");
                text(sb, left - 6, y + 4, "end", Html.num(Math.pow(10, t)));
            }
        } else {
            yTicks(sb, left, top, plotW, plotH, lo, hi, 5, false);
        }
        sb.append("<text x=\"12\" y=\"").append(Html.px(top + plotH / 2))
                .append("\" text-anchor=\"middle\" transform=\"rotate(-90 12 ")
                .append(Html.px(top + plotH / 2)).append(")\">").append(Html.escape(yLabel))
                .append("</text>");
        for (int s = 0; s < series.size(); s++) {
            String cls = "c" + (s % 10);
            StringBuilder path = new StringBuilder();
            StringBuilder marks = new StringBuilder();
            boolean pen = false;
            for (int i = 0; i < xs.length && i < values[s].length; i++) {
                double v = values[s][i];
                double t = logY ? (v > 0 ? Math.log10(v) : Double.NaN) : v;
                if (!Double.isFinite(t)) {
                    pen = false;
                    continue;
                }
                double x = left + plotW * (xs[i] - x0) / (x1 - x0);
                double y = top + plotH - plotH * (t - lo) / (hi - lo);
                path.append(pen ? 'L' : 'M').append(Html.px(x)).append(' ').append(Html.px(y));
                pen = true;
                marks.append("<circle class=\"").append(cls).append("\" cx=\"").append(Html.px(x))
                        .append("\" cy=\"").append(Html.px(y)).append("\" r=\"3\"><title>")
                        .append(Html.escape(series.get(s))).append(", ").append(Html.num(xs[i]))
                        .append(": ").append(Html.num(v)).append("</title></circle>");
            }
            if (path.length() > 0) {
                sb.append("<path class=\"series-line ").append(cls).append("\" data-series=\"")
                        .append(Html.escape(series.get(s))).append("\" d=\"").append(path).append("\"/>");
            }
            sb.append(marks);
        }
        for (int s = 0; s < Math.min(series.size(), LEGEND_ENTRIES); s++) {
            double lx = left + (s % 3) * 160;
            double ly = ht + 4 + 16 * (s / 3);
            sb.append("<rect class=\"c").append(s % 10).append("\" x=\"").append(Html.px(lx))
                    .append("\" y=\"").append(Html.px(ly - 10)).append("\" width=\"12\" height=\"3\"/>");
            text(sb, lx + 16, ly, "start", Html.cut(series.get(s), 22));
        }
        return sb.append("</svg>").toString();
    }

    /** Series named in a line chart's legend at most (the others are in the table beside it). */
    static final int LEGEND_ENTRIES = 12;

    /**
     * A scatter plot of {@code points} (drawn in list order, so later points lie on top) within
     * {@code bounds}, with nice ticks and axis names on both axes.
     */
    static String scatter(String id, String title, List<Point> points, Bounds bounds,
            String xLabel, String yLabel) {
        int w = 540;
        int ht = 500;
        int left = 48;
        int right = 12;
        int top = 30;
        int bottom = 44;
        double plotW = w - left - right;
        double plotH = ht - top - bottom;
        StringBuilder sb = new StringBuilder(points.size() * 60 + 2000);
        sb.append("<svg id=\"").append(Html.escape(id)).append("\" class=\"chart pca-panel\"")
                .append(" width=\"").append(w).append("\" height=\"").append(ht)
                .append("\" viewBox=\"0 0 ").append(w).append(' ').append(ht)
                .append("\" role=\"img\">");
        sb.append("<rect class=\"frame\" x=\"").append(left).append("\" y=\"").append(top)
                .append("\" width=\"").append(Html.px(plotW)).append("\" height=\"")
                .append(Html.px(plotH)).append("\"/>");
        text(sb, left + plotW / 2, 18, "middle", title);
        // Bounds padded by 3 % on each side, so that no point sits on the frame.
        double padX = (bounds.maxX() - bounds.minX()) * 0.03;
        double padY = (bounds.maxY() - bounds.minY()) * 0.03;
        double x0 = bounds.minX() - padX;
        double x1 = bounds.maxX() + padX;
        double y0 = bounds.minY() - padY;
        double y1 = bounds.maxY() + padY;
        xTicks(sb, left, top, plotW, plotH, x0, x1, 6);
        yTicks(sb, left, top, plotW, plotH, y0, y1, 6, false);
        text(sb, left + plotW / 2, top + plotH + 34, "middle", xLabel);
        sb.append("<text x=\"12\" y=\"").append(Html.px(top + plotH / 2))
                .append("\" text-anchor=\"middle\" transform=\"rotate(-90 12 ")
                .append(Html.px(top + plotH / 2)).append(")\">").append(Html.escape(yLabel))
                .append("</text>");
        double sx = plotW / (x1 - x0);
        double sy = plotH / (y1 - y0);
        for (Point p : points) {
            double x = left + (p.x() - x0) * sx;
            double y = top + plotH - (p.y() - y0) * sy;
            sb.append("<circle class=\"").append(p.cssClass()).append("\" cx=\"")
                    .append(Html.px(x)).append("\" cy=\"").append(Html.px(y)).append("\" r=\"")
                    .append(Html.px(p.radius())).append("\"/>");
        }
        return sb.append("</svg>").toString();
    }

    /** Ticks with labels under the x axis of the plot area over data range [lo, hi]. */
    private static void xTicks(StringBuilder sb, double left, double top, double plotW,
            double plotH, double lo, double hi, int count) {
        for (double t : Ticks.of(lo, hi, count)) {
            double x = left + plotW * (t - lo) / (hi - lo);
            sb.append("<line class=\"tick\" x1=\"").append(Html.px(x)).append("\" y1=\"")
                    .append(Html.px(top + plotH)).append("\" x2=\"").append(Html.px(x))
                    .append("\" y2=\"").append(Html.px(top + plotH + 4)).append("\"/>");
            text(sb, x, top + plotH + 15, "middle", Html.num(t));
        }
    }

    /**
     * Ticks with labels left of the y axis over data range [lo, hi], and light grid lines
     * across the plot; {@code whole} keeps only whole numbers (counts).
     */
    private static void yTicks(StringBuilder sb, double left, double top, double plotW,
            double plotH, double lo, double hi, int count, boolean whole) {
        for (double t : Ticks.of(lo, hi, count)) {
            if (whole && t != Math.rint(t)) {
                continue;
            }
            double y = top + plotH - plotH * (t - lo) / (hi - lo);
            sb.append("<line class=\"grid\" x1=\"")
                    .append(Html.px(left)).append("\" y1=\"").append(Html.px(y))
                    .append("\" x2=\"").append(Html.px(left + plotW))
                    .append("\" y2=\"").append(Html.px(y)).append("\"/>");
            text(sb, left - 6, y + 4, "end", Html.num(t));
        }
    }

    private static void axes(StringBuilder sb, double left, double top, double plotW,
            double plotH) {
        sb.append("<path class=\"axis\" d=\"M").append(Html.px(left)).append(' ')
                .append(Html.px(top)).append("V").append(Html.px(top + plotH)).append("H")
                .append(Html.px(left + plotW)).append("\"/>");
    }

    private static void text(StringBuilder sb, double x, double y, String anchor, String s) {
        sb.append("<text x=\"").append(Html.px(x)).append("\" y=\"").append(Html.px(y))
                .append("\" text-anchor=\"").append(anchor).append("\">").append(Html.escape(s))
                .append("</text>");
    }
}
