package io.synalign.spark;

/**
 * Runs the per-label optimisers in lockstep so that one Spark pass serves every label: each
 * label's optimiser runs on its own thread and asks for {@code H_l w_l} through
 * {@link #apply}; the call blocks until every still-running label has asked, then the last
 * caller runs one {@link DistributedFeatureProducts#transposeTimes} (one job returning every
 * block's D-vector) and one {@link DistributedFeatureProducts#times} for all of them and wakes
 * the others. A label whose optimiser stops calls {@link #leave}, so the others never wait for
 * it. Labels need different numbers of products (backtracking retries, earlier convergence);
 * a pass serves whichever labels are asking, so the passes run equal the products of the label
 * that needs the most.
 */
final class LockstepProducts {

    /** The two products of one pass, for every label asking (the others' entries null). */
    interface Products {
        /** {@code z[l] = Phi_l^T w[l]}. */
        double[][] transposeTimes(double[][] w);

        /** {@code out[l] = Phi_l z[l]}. */
        void times(double[][] z, double[][] out);
    }

    private final Products products;
    private final double[][] pending;
    private final double[][] results;
    private final double[][] residuals;
    private int live;
    private int waiting;
    private long generation;
    /** The failure of a pass (an Error too: a driver out of memory collecting Phi z). */
    private Throwable failure;

    /**
     * @param products the distributed products
     * @param labelSizes n_l per label; labels of size 0 are not fitted and never ask
     * @param live labels whose optimisers will call {@link #apply} until they {@link #leave}
     */
    LockstepProducts(Products products, int[] labelSizes, int live) {
        this.products = products;
        this.pending = new double[labelSizes.length][];
        this.results = new double[labelSizes.length][];
        this.residuals = new double[labelSizes.length][];
        for (int l = 0; l < labelSizes.length; l++) {
            results[l] = new double[labelSizes[l]];
        }
        this.live = live;
    }

    /**
     * {@code out = Phi_l Phi_l^T w} and {@code z = Phi_l^T w}, computed in a pass shared with the
     * other labels.
     */
    synchronized void apply(int label, double[] w, double[] out, double[] z) {
        rethrowFailure();
        pending[label] = w;
        waiting++;
        long mine = generation;
        if (waiting == live) {
            runPass();
        } else {
            while (generation == mine) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted waiting for a Spark pass", e);
                }
            }
        }
        rethrowFailure();
        System.arraycopy(results[label], 0, out, 0, out.length);
        System.arraycopy(residuals[label], 0, z, 0, z.length);
    }

    private void rethrowFailure() {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** The label's optimiser has finished (or failed): passes no longer wait for it. */
    synchronized void leave() {
        live--;
        if (waiting > 0 && waiting == live) {
            runPass();
        }
    }

    /** Called with the lock held by the last label to ask. */
    private void runPass() {
        try {
            double[][] z = products.transposeTimes(pending);
            products.times(z, results);
            for (int l = 0; l < pending.length; l++) {
                if (pending[l] != null) {
                    residuals[l] = z[l];
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e; // every label waiting on this pass throws it, none reads stale results
        } finally {
            java.util.Arrays.fill(pending, null);
            waiting = 0;
            generation++;
            notifyAll();
        }
    }
}
