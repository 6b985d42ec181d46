using System.Net;
using Billing.Api.Hosting;
using Billing.Tests.Infrastructure;

namespace Billing.Tests.Operations;

public sealed class OperatorDashboardFixture(AzuriteFixture azurite) : ApiFixture(azurite);

/// <summary>
/// The Orleans dashboard deployed operators use is the API's, behind the operator role: it shows every grain type, call
/// rate and silo of the cluster, which no customer and no anonymous caller may see.
/// </summary>
public sealed class OperatorDashboardTests(OperatorDashboardFixture fixture) : IClassFixture<OperatorDashboardFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_anonymous_caller_gets_401_from_the_dashboard()
    {
        using var response = await fixture.AnonymousClient().GetAsync(BillingApiExtensions.DashboardPath + "/", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_signed_in_user_without_the_operator_role_gets_403_from_the_dashboard_and_its_data()
    {
        using var client = fixture.ClientFor("customer-1", "billing-admin");

        using var page = await client.GetAsync(BillingApiExtensions.DashboardPath + "/", Ct);
        using var data = await client.GetAsync(BillingApiExtensions.DashboardPath + "/DashboardCounters", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, page.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, data.StatusCode);
    }

    [Fact]
    public async Task An_operator_gets_the_dashboard_page()
    {
        using var client = fixture.ClientFor("operator-1", "billing-operator");

        using var response = await client.GetAsync(BillingApiExtensions.DashboardPath + "/", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Orleans", await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
    }
}
