using Billing.Errors;
using Billing.Payments;
using Microsoft.Extensions.Options;

namespace Billing.Tests.Operations;

/// <summary>
/// Test clocks move money's time (renewals, expiries fall due at once): they exist only with the sandbox gateway.
/// With a real gateway the grain refuses before it reads or writes anything; the API turns the refusal into a 403
/// problem detail with the code below.
/// </summary>
public sealed class TestClockRefusalTests
{
    [Fact]
    public async Task With_a_real_gateway_a_test_clock_refuses_to_move_and_reads_no_offset()
    {
        var options = Options.Create(new PaymentsOptions { Gateway = "Acquirer" });
        ITestClockGrain grain = new TestClockGrain(state: null!, BillingClock.System, options);

        var refusal = await Assert.ThrowsAsync<BillingException>(() => grain.Advance(TimeSpan.FromDays(1)));

        Assert.Equal(BillingErrorKind.Forbidden, refusal.Kind);
        Assert.Equal("test-clock.sandbox-only", refusal.Code);
        // Every other grain reads workspace time through WorkspaceTime: no offset, and no call to a test clock at all.
        var time = new WorkspaceTime(BillingClock.System, options, grains: null!);
        Assert.Equal(TimeSpan.Zero, await time.OffsetAsync("ws_any"));
    }
}
