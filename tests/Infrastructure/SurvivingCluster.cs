namespace Billing.Tests.Infrastructure;

public static class SurvivingCluster
{
    /// <summary>
    /// Until the survivors declare a killed silo dead, a call routed to it fails: retry on exactly those failures,
    /// a bounded number of times, instead of sleeping a guessed interval.
    /// </summary>
    public static async Task<T> Call<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 60 && e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or OrleansException)
            {
                await Task.Delay(250, TestContext.Current.CancellationToken);
            }
        }
    }
}
