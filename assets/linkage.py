"""Link: voter rows to residents, and the voter list's duplicates."""


import dataclasses

import dagster as dg

from assets import markdown_table
from assets.partitions import kabupaten_partitions, semester_and_kabupaten
from pemadanan import review, warehouse
from pemadanan.ingest import IngestResult
from pemadanan.linkage import LinkResult, link
from resources import LandingZone, Linkage, Warehouse


@dg.asset(partitions_def=kabupaten_partitions, group_name="link", kinds={"pandas", "recordlinkage"})
def voter_resident_links(context: dg.AssetExecutionContext, landing: LandingZone, linkage: Linkage,
                         warehouse_db: Warehouse, population: IngestResult,
                         voters: IngestResult) -> dg.Output[LinkResult]:
    """Voter rows linked to residents by the cascade (reviewers' decisions, exact NIK, NIK within one edit,
    Fellegi-Sunter), duplicate rows of the list, and the pairs left for review."""
    semester, kabupaten = semester_and_kabupaten(context)
    path = landing.semester_files(semester, kabupaten).review_decisions
    offered = warehouse.review_offered(warehouse_db.resolved_url(), semester, kabupaten,
                                       {"population": population.file_sha256, "voters": voters.file_sha256})
    decisions = review.read_decisions(path) if path is not None else review.read_decisions(None)
    if path is not None and decisions.empty:
        context.log.warning(f"{path.name}: no decisions in it")
    if path is None and len(offered.settled) and offered.not_same_files is None:
        context.log.warning(f"{len(offered.settled)} decision(s) the last run applied no longer apply: the "
                            f"{review.REVIEW_DECISIONS_FILE} they came from is gone")
    reviewed = review.check(decisions, offered, voters.accepted["source_row"], population.accepted["source_row"])
    for line in reviewed.ignored_lines(path.name if path else review.REVIEW_DECISIONS_FILE):
        context.log.warning(line)
    result = link(voters.accepted, population.accepted, reviewed.applied, linkage.policy())
    result = dataclasses.replace(result.without_measurements(), review_decisions=reviewed.decisions)
    rows = len(voters.accepted)
    by_method = result.links["link_method"].value_counts().rename_axis("method").reset_index(name="links")
    return dg.Output(result, metadata={
        "dagster/row_count": len(result.links),
        "voter_rows": rows,
        "linked": len(result.links),
        "duplicates": len(result.duplicates),
        "in_review": int(result.review_queue["voter_row"].nunique()),
        "unlinked": len(result.unlinked),
        "link_rate": round(len(result.links) / rows, 4) if rows else 0.0,
        "review_decisions_applied": int(reviewed.decisions["applied"].sum()),
        "review_decisions_ignored": int((~reviewed.decisions["applied"]).sum()),
        "pairs_compared": result.pairs_compared,
        "links_by_method": markdown_table(by_method),
        "unlinked_reasons": markdown_table(result.unlinked["reason"].value_counts().rename_axis("reason").reset_index(name="rows")),
        "probabilistic_model": markdown_table(result.model),
    })
