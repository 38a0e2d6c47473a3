! Prints c_sizeof of every bind(C) type of siqaco.f90, as c/sizes.c prints sizeof of the
! header's structures; scripts/test-c diffs the two.
program sizes
  use, intrinsic :: iso_c_binding
  use siqaco
  implicit none
  type(siqaco_stream) :: stream
  type(siqaco_segment) :: segment
  type(siqaco_gap) :: gap
  type(siqaco_overlap) :: overlap
  type(siqaco_day) :: day
  type(siqaco_sample_segment) :: sample_segment
  type(siqaco_index_report) :: index_report
  type(siqaco_stream_extent) :: stream_extent
  type(siqaco_stored_day) :: stored_day
  type(siqaco_merge_summary) :: merge_summary
  type(siqaco_merge_day) :: merge_day
  type(siqaco_update_summary) :: update_summary

  call show("siqaco_stream", c_sizeof(stream))
  call show("siqaco_segment", c_sizeof(segment))
  call show("siqaco_gap", c_sizeof(gap))
  call show("siqaco_overlap", c_sizeof(overlap))
  call show("siqaco_day", c_sizeof(day))
  call show("siqaco_sample_segment", c_sizeof(sample_segment))
  call show("siqaco_index_report", c_sizeof(index_report))
  call show("siqaco_stream_extent", c_sizeof(stream_extent))
  call show("siqaco_stored_day", c_sizeof(stored_day))
  call show("siqaco_merge_summary", c_sizeof(merge_summary))
  call show("siqaco_merge_day", c_sizeof(merge_day))
  call show("siqaco_update_summary", c_sizeof(update_summary))

contains

  subroutine show(name, n)
    character(len=*), intent(in) :: name
    integer(c_size_t), intent(in) :: n
    write (*, '(a,1x,i0)') name, n
  end subroutine show
end program sizes
