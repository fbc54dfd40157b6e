"""Link: voter rows to residents, and the voter list's duplicates."""


import dagster as dg

from assets import markdown_table
from pemadanan.ingest import IngestResult
from pemadanan.linkage import LinkResult, link
from pipelines.partitions import kabupaten_partitions, semester_and_kabupaten
from resources import LandingZone, Linkage


@dg.asset(partitions_def=kabupaten_partitions, group_name="link", kinds={"pandas", "recordlinkage"})
def voter_resident_links(context: dg.AssetExecutionContext, landing: LandingZone, linkage: Linkage,
                         population: IngestResult, voters: IngestResult) -> dg.Output[LinkResult]:
    """Voter rows linked to residents by the cascade (reviewers' decisions, exact NIK, NIK within one edit,
    Fellegi-Sunter), duplicate rows of the list, and the pairs left for review."""
    decisions = landing.review_decisions(*semester_and_kabupaten(context))
    result = link(voters.accepted, population.accepted, decisions, linkage.policy())
    rows = len(voters.accepted)
    unmatched = 0 if decisions is None else int(
        (~decisions["voter_row"].isin(voters.accepted["source_row"])
         | ~decisions["population_row"].isin(population.accepted["source_row"])).sum())
    if unmatched:
        context.log.warning(f"{unmatched} review decision(s) name a voter or population row this semester's "
                            "accepted files do not have; they were not applied (re-delivered files need a new review)")
    by_method = result.links["link_method"].value_counts().rename_axis("method").reset_index(name="links")
    return dg.Output(result, metadata={
        "dagster/row_count": len(result.links),
        "voter_rows": rows,
        "linked": len(result.links),
        "duplicates": len(result.duplicates),
        "in_review": int(result.review_queue["voter_row"].nunique()),
        "unlinked": len(result.unlinked),
        "link_rate": round(len(result.links) / rows, 4) if rows else 0.0,
        "review_decisions": 0 if decisions is None else len(decisions),
        "review_decisions_unmatched": unmatched,
        "pairs_compared": result.pairs_compared,
        "links_by_method": markdown_table(by_method),
        "unlinked_reasons": markdown_table(result.unlinked["reason"].value_counts().rename_axis("reason").reset_index(name="rows")),
        "probabilistic_model": markdown_table(result.model),
    })
