using System.Numerics;

namespace Billing.Benchmark;

/// <summary>
/// Latencies in microseconds, in HdrHistogram's log-linear layout: exact below 128 µs, then 64 buckets per power
/// of two, so a reported percentile is at most 1.6% above the true value, whatever the range (1 µs to hours) and
/// in fixed memory. Recording is one interlocked increment, so every concurrent call records into one instance.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int ExactBelow = SubBuckets * 2;

    // Index of the largest long: shift 56 → 56 * 64 + 127 = 3711.
    private readonly long[] _counts = new long[(64 - SubBucketBits) * SubBuckets];
    private long _count;
    private long _max;
    private long _sum;

    public long Count => Volatile.Read(ref _count);

    public double MeanMicros => Count == 0 ? 0 : (double)Volatile.Read(ref _sum) / Count;

    public long MaxMicros => Volatile.Read(ref _max);

    public void Record(TimeSpan latency)
    {
        var micros = Math.Max(0, latency.Ticks / TimeSpan.TicksPerMicrosecond);
        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, micros);
        var max = Volatile.Read(ref _max);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _max, micros, max);
            if (seen == max)
                break;
            max = seen;
        }
    }

    /// <summary>The latency that <paramref name="quantile"/> of the recorded calls did not exceed (the bucket's upper bound), in microseconds.</summary>
    public long PercentileMicros(double quantile)
    {
        var count = Count;
        if (count == 0)
            return 0;
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * count));
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
                return Math.Min(UpperBoundOf(i), MaxMicros);
        }
        return MaxMicros;
    }

    private static int IndexOf(long micros)
    {
        if (micros < ExactBelow)
            return (int)micros;
        var shift = 63 - BitOperations.LeadingZeroCount((ulong)micros) - SubBucketBits;
        return shift * SubBuckets + (int)(micros >> shift);
    }

    private static long UpperBoundOf(int index)
    {
        if (index < ExactBelow)
            return index;
        var shift = index / SubBuckets - 1;
        var top = (long)(index % SubBuckets + SubBuckets);
        return ((top + 1) << shift) - 1;
    }
}
