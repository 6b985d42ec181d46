using System.Net;
using Billing.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace Billing.Tests.Api;

/// <summary>The interactive API reference (Scalar) over the OpenAPI document: served in Development only.</summary>
public sealed class ApiReferenceTests(ApiFixture api) : IClassFixture<ApiFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task In_Development_the_API_reference_is_served_at_scalar_and_reads_the_OpenAPI_document()
    {
        await using var development = api.Api.WithWebHostBuilder(web => web.UseEnvironment("Development"));

        var client = development.CreateClient();

        var page = await client.GetAsync("/scalar", Ct);
        var document = await client.GetAsync("/openapi/v1.json", Ct);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<title>Scalar API Reference", html, StringComparison.Ordinal);
        Assert.Contains("openapi", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode); // the document the page reads
    }

    [Fact]
    public async Task Outside_Development_there_is_no_API_reference_page()
    {
        var response = await api.AnonymousClient().GetAsync("/scalar", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
